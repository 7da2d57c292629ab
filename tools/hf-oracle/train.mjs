// Trains a tokenizer with Hugging Face's Rust tokenizers (its default trainer settings) and saves its tokenizer.json.
// usage: node train.mjs bpe|wordpiece CORPUS_FILE OUT_JSON
//   bpe:       byte-level BPE set up as GPT-2's (ByteLevel pre-tokenizer and decoder), all 256 byte symbols in the
//              vocabulary, <|endoftext|> added after it
//   wordpiece: BERT uncased (BertNormalizer, BertPreTokenizer, WordPiece decoder), [PAD] [UNK] [CLS] [SEP] [MASK] as ids 0-4
// This binding's train() takes no trainer options, so the vocabulary is finished here as GPT-2's and BERT's files
// have it, then loaded and saved by the library again (which checks it).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const hf = require('@anush008/tokenizers');

const [kind, corpus, out] = process.argv.slice(2);
if (!['bpe', 'wordpiece'].includes(kind) || !corpus || !out) {
  console.error('usage: node train.mjs bpe|wordpiece CORPUS_FILE OUT_JSON');
  process.exit(2);
}
let tokenizer;
if (kind === 'bpe') {
  tokenizer = new hf.Tokenizer(hf.BPE.empty());
  tokenizer.setPreTokenizer(hf.byteLevelPreTokenizer(false, true));
} else {
  tokenizer = new hf.Tokenizer(hf.WordPiece.empty());
  tokenizer.setNormalizer(hf.bertNormalizer({ lowercase: true }));
  tokenizer.setPreTokenizer(hf.bertPreTokenizer());
  tokenizer.setDecoder(hf.wordPieceDecoder());
}
tokenizer.train([corpus]);
tokenizer.save(out, true);

const json = JSON.parse(readFileSync(out, 'utf8'));
const vocab = json.model.vocab;
if (kind === 'bpe') {
  // the trainer's alphabet is the characters it saw; GPT-2's has all 256 byte symbols
  let next = Math.max(...Object.values(vocab)) + 1;
  for (const symbol of hf.byteLevelAlphabet()) if (!(symbol in vocab)) vocab[symbol] = next++;
  json.decoder = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
} else {
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const shifted = {};
  specials.forEach((s, i) => { shifted[s] = i; });
  for (const [token, id] of Object.entries(vocab)) shifted[token] = id + specials.length;
  json.model.vocab = shifted;
  json.added_tokens = specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
}
const finished = hf.Tokenizer.fromString(JSON.stringify(json));
if (kind === 'bpe') finished.addSpecialTokens(['<|endoftext|>']);
finished.save(out, true);
