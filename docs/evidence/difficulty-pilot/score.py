import json,sys,collections
keys={k['id']:k for k in json.load(open('pilot_keys.json'))}
for f in sys.argv[1:]:
    a={json.loads(l)['id']:json.loads(l) for l in open(f)}
    c=collections.Counter(); n=collections.Counter()
    for i,k in keys.items():
        n[k['t']]+=1
        if a.get(i,{}).get('answer')==k['key']: c[k['t']]+=1
        else: print(f, i, 'ans',a.get(i,{}).get('answer'),'key',k['key'], a.get(i,{}).get('confidence'))
    print(f, {t:f"{c[t]}/{n[t]}" for t in n})
