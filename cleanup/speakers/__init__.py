"""How the speakers stage finds turns; its entry point and layout are `cleanup/stages/speakers.py`.

- `cues`: what people say where a turn changes hands, the patterns grouped by what they detect;
- `clauses`: the text cut into clauses (where a turn can start), and the turn itself;
- `roster`: names as addressed, titles, given names and sound-alikes: who the labels are;
- `segment`: candidate turn starts scored from the cues, the chosen turns and their labels.
"""
