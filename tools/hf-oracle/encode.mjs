// Encodes texts with a Hugging Face tokenizer.json through Hugging Face's Rust tokenizers and prints ids and decodings.
// usage: node encode.mjs TOKENIZER_JSON TEXTS_JSON      (TEXTS_JSON: a JSON array of strings)
// prints: {"ids": [[...], ...], "decoded": ["...", ...]}
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Tokenizer } = require('@anush008/tokenizers');

const [tokenizerPath, textsPath] = process.argv.slice(2);
if (!tokenizerPath || !textsPath) {
  console.error('usage: node encode.mjs TOKENIZER_JSON TEXTS_JSON');
  process.exit(2);
}
const tokenizer = Tokenizer.fromFile(tokenizerPath);
const texts = JSON.parse(readFileSync(textsPath, 'utf8'));
const ids = [];
const decoded = [];
for (const text of texts) {
  // no special tokens added: TextSSL's Encode adds none either
  const encoding = await tokenizer.encode(text, null, { addSpecialTokens: false });
  const row = Array.from(encoding.getIds());
  ids.push(row);
  decoded.push(await tokenizer.decode(row, false));
}
process.stdout.write(JSON.stringify({ ids, decoded }));
