# dicts.py: a python3 workload for test-dropin.sh: large dicts and lists
# built and dropped, strings of every size.  Deterministic output.
import hashlib

h = hashlib.sha256()
for rnd in range(3):
    d = {}
    for i in range(40000):
        d["k%d-%d" % (i * 2654435761 % 1000003, rnd)] = (i, str(i) * (i % 7), [i] * (i % 5))
    for k in list(d)[::3]:
        del d[k]
    items = sorted(d.items())[:2000]
    h.update(repr(items).encode())
    print("round", rnd, len(d), sum(len(v[1]) for v in d.values()))
    big = {i: bytes(i % 4096) for i in range(0, 40000, 3)}
    print("bytes", sum(map(len, big.values())))
    del d, big
s = "".join(chr(65 + i % 26) * (i % 300) for i in range(3000))
print("string", len(s), s.count("AB"), hashlib.md5(s.encode()).hexdigest())
print("digest", h.hexdigest())
