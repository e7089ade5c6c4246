import time, json, pandas as pd
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
import bpe
df = pd.read_parquet("data/imdb/plain_text/train-00000-of-00001.parquet")
def lib(texts, vs, specials=(), minf=0):
    tok = Tokenizer(models.BPE()); tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tr = trainers.BpeTrainer(vocab_size=vs, min_frequency=minf, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=list(specials), show_progress=False)
    tok.train_from_iterator(texts, tr); return tok
# 7: special tokens inside training text
texts = [t + "<|endoftext|>" for t in df.text.tolist()[:500]]
tok = lib(texts, 600, ["<|endoftext|>"])
m = json.loads(tok.to_str())["model"]["merges"]
print("merges touching '<|' / 'endoftext':", [x for x in m if "|" in "".join(x) or "endo" in "".join(x)][:10])
v, mm = bpe.train(texts, 600, ["<|endoftext|>"])
print("scratch (no special split in training) matches:", [tuple(x) for x in m] == [(v[a], v[b]) for a,b in mm])
# 8: duplicates at larger vocab
for n, vs in [(5000, 5000), (25000, 8000)]:
    texts = df.text.tolist()[:n]
    t=time.time(); tok = lib(texts, vs); tl=time.time()-t
    m = json.loads(tok.to_str())["model"]["merges"]
    print(n, vs, "lib merges", len(m), "vocab", tok.get_vocab_size(), "dup-string merges:", len(m) - (vs - 256), "lib time %.2f" % tl)
    t=time.time(); v, mm = bpe.train(texts, vs); ts=time.time()-t
    print("   scratch time %.2f match vocab %s merges %s" % (ts, v == sorted(tok.get_vocab(), key=tok.get_vocab().get), [tuple(x) for x in m] == [(v[a], v[b]) for a,b in mm]))
