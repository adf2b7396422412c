import sys, sqlite3, json
def lz4_block(src, size):
    out = bytearray(); i = 0
    while i < len(src):
        token = src[i]; i += 1
        lit = token >> 4
        if lit == 15:
            while True:
                b = src[i]; i += 1; lit += b
                if b != 255: break
        out += src[i:i+lit]; i += lit
        if i >= len(src): break
        off = src[i] | (src[i+1] << 8); i += 2
        ml = token & 15
        if ml == 15:
            while True:
                b = src[i]; i += 1; ml += b
                if b != 255: break
        ml += 4
        start = len(out) - off
        for k in range(ml): out.append(out[start + k])
    assert len(out) == size, (len(out), size)
    return bytes(out)
db, run_id, dest = sys.argv[1:4]
con = sqlite3.connect(db)
blob, = con.execute("select report from backtest_runs where id=?", (run_id,)).fetchone()
size = int.from_bytes(blob[:4], 'little')
data = json.loads(lz4_block(blob[4:], size))
open(dest, 'w').write(json.dumps(data, indent=1) + "\n")
print(dest, len(json.dumps(data)))
