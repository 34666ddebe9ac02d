"""Difficulty pilot, 2026-12-08 (not part of akb): 48 four-option items built to be hard for a
strong LLM, every key computed with music21 or the harmonic series, in four kinds:
A compound intervals with double accidentals, B seventh chords spelled from the bass (which
chord, which inversion), C degrees of modes on sharp/flat tonics, D the nearest equal-tempered
pitch and cents deviation of a high harmonic. Writes pilot_packet.jsonl (what examinees saw)
and pilot_keys.json. Run: python pilot.py (music21 installed). See README.md beside it."""
import json, random, math
import music21 as m
rng = random.Random(5)
out = []
def acc(n):  # music21 name to printed
    return n.replace('--','𝄫').replace('##','𝄪').replace('-','♭').replace('#','♯')
LET = "CDEFGAB"
def rand_pitch(octs=(3,4)):
    l = rng.choice(LET); a = rng.choice(['', '', '#', '-', '##', '--'])
    return m.pitch.Pitch(l + a + str(rng.choice(octs)))
# A: compound intervals with double accidentals
while len([o for o in out if o['t']=='A']) < 12:
    p1 = rand_pitch((3,)); p2 = rand_pitch((4,5))
    iv = m.interval.Interval(p1, p2)
    if iv.semitones <= 12 or iv.semitones > 24: continue
    key = iv.niceName
    if 'Doubly' in key and rng.random() < .5: continue
    # siblings: enharmonic respelling of the top note, same letters other accidental, simple reduction
    sibs = set()
    for alt in (1, -1):
        q = m.pitch.Pitch(p2.nameWithOctave); q.accidental = m.pitch.Accidental((q.accidental.alter if q.accidental else 0) + alt) if abs((q.accidental.alter if q.accidental else 0)+alt) <= 2 else None
        if q.accidental is None and abs((p2.accidental.alter if p2.accidental else 0)+alt) > 0: continue
        sibs.add(m.interval.Interval(p1, q).niceName)
    en = p2.getEnharmonic() if p2.getEnharmonic() else None
    if en: sibs.add(m.interval.Interval(p1, en).niceName)
    sibs.add(m.interval.Interval(p1, m.pitch.Pitch(p2.name + str(p2.octave-1))).niceName)
    sibs.discard(key); sibs = [s for s in sibs if s]
    if len(sibs) < 3: continue
    rng.shuffle(sibs)
    out.append(dict(t='A', q=f"What is the interval from {acc(p1.nameWithOctave)} up to {acc(p2.nameWithOctave)}?", key=key.lower(), d=[s.lower() for s in sibs[:3]]))
# B: seventh chord from the bass, any spelling
QUAL = {'dominant seventh':['M3','P5','m7'],'major seventh':['M3','P5','M7'],'minor seventh':['m3','P5','m7'],'half-diminished seventh':['m3','d5','m7'],'diminished seventh':['m3','d5','d7'],'minor-major seventh':['m3','P5','M7']}
INV = ['root position','first inversion','second inversion','third inversion']
while len([o for o in out if o['t']=='B']) < 12:
    root = rng.choice(LET) + rng.choice(['', '#', '-', '-', '#'])
    qual = rng.choice(list(QUAL)); inv = rng.randrange(1,4)
    notes = [m.pitch.Pitch(root)] + [m.pitch.Pitch(root).transpose(i) for i in QUAL[qual]]
    names = [acc(n.name) for n in notes]
    if sum(('𝄪' in x or '𝄫' in x) for x in names) > 2: continue
    order = names[inv:] + names[:inv]
    key = f"{acc(notes[0].name)} {qual}, {INV[inv]}"
    d = set()
    # sibling: same notes read with the bass as root (other spelling/quality), another inversion, enharmonic root
    d.add(f"{order[0]} {qual}, root position")
    d.add(f"{acc(notes[0].name)} {qual}, {INV[(inv % 3) + 1]}")
    oq = rng.choice([q for q in QUAL if q != qual]); d.add(f"{acc(notes[0].name)} {oq}, {INV[inv]}")
    d.discard(key)
    out.append(dict(t='B', q=f"A four-note chord is spelled, from the bass up, {', '.join(order)}. Which chord is it?", key=key, d=list(d)[:3]))
# C: mode degrees
MODES = ['ionian','dorian','phrygian','lydian','mixolydian','aeolian','locrian']
DEG = {2:'second',3:'third',4:'fourth',5:'fifth',6:'sixth',7:'seventh'}
while len([o for o in out if o['t']=='C']) < 12:
    tonic = rng.choice(LET) + rng.choice(['#','-','#','-',''])
    mode = rng.choice(MODES[1:]); deg = rng.choice([2,3,4,5,6,7])
    s = {'dorian':m.scale.DorianScale,'phrygian':m.scale.PhrygianScale,'lydian':m.scale.LydianScale,'mixolydian':m.scale.MixolydianScale,'aeolian':m.scale.MinorScale,'locrian':m.scale.LocrianScale}[mode](tonic)
    key = acc(s.pitchFromDegree(deg).name)
    if '𝄪' in key or '𝄫' in key: 
        if rng.random()<.5: continue
    d = set()
    for om in MODES:
        if om=='ionian': s2 = m.scale.MajorScale(tonic)
        else: s2 = {'dorian':m.scale.DorianScale,'phrygian':m.scale.PhrygianScale,'lydian':m.scale.LydianScale,'mixolydian':m.scale.MixolydianScale,'aeolian':m.scale.MinorScale,'locrian':m.scale.LocrianScale}[om](tonic)
        d.add(acc(s2.pitchFromDegree(deg).name))
    d.add(acc(s.pitchFromDegree(deg).getEnharmonic().name) if s.pitchFromDegree(deg).getEnharmonic() else key)
    SC={'dorian':m.scale.DorianScale,'phrygian':m.scale.PhrygianScale,'lydian':m.scale.LydianScale,'mixolydian':m.scale.MixolydianScale,'aeolian':m.scale.MinorScale,'locrian':m.scale.LocrianScale}
    d.add(acc(SC[mode](tonic).pitchFromDegree(deg-1 if deg>2 else deg+1).name))
    d.discard(key); d=list(d); rng.shuffle(d)
    if len(d)<3: continue
    out.append(dict(t='C', q=f"What is the {DEG[deg]} degree of {acc(tonic)} {mode.capitalize()}?", key=key, d=d[:3]))
# D: harmonic cents
def hname(f0name, h):
    p0 = m.pitch.Pitch(f0name); c = 1200*math.log2(h); semis = round(c/100); dev = c - 100*semis
    p = m.pitch.Pitch(midi=p0.midi+semis)
    return p, dev
while len([o for o in out if o['t']=='D']) < 12:
    f0 = rng.choice(['C2','D2','E2','F2','G2','A1','B-1','E-2'])
    h = rng.choice([7,9,11,13,15,17,19,21,23])
    def lab(h):
        p, dev = hname(f0, h)
        return f"{acc(p.nameWithOctave)}, {abs(round(dev))} cents {'sharp' if dev>0 else 'flat'}"
    key = lab(h)
    sib = [lab(x) for x in [7,9,11,13,15,17,19,21,23] if x != h]
    sib = [s for s in sib if s != key]; rng.shuffle(sib)
    out.append(dict(t='D', q=f"Which equal-tempered pitch (A4 = 440 Hz) lies nearest the {h}th harmonic of {acc(f0)} (the fundamental counted as the 1st), and by how much does the harmonic deviate from it?", key=key, d=sib[:3]))
rows=[]; keys=[]
for i,o in enumerate(out):
    ch = [o['key']] + o['d'][:3]
    if len(set(ch))<4: continue
    rng.shuffle(ch); L = "ABCD"[ch.index(o['key'])]
    iid=f"pilot.{o['t']}.{i:03d}"
    rows.append({"id":iid,"question":o['q'],"choices":dict(zip("ABCD",ch))}); keys.append({"id":iid,"key":L,"t":o['t']})
json.dump(keys, open('pilot_keys.json','w'))
with open('pilot_packet.jsonl','w') as f:
    for r in rows: f.write(json.dumps(r, ensure_ascii=False)+'\n')
print(len(rows))
