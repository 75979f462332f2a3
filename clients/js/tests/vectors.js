/** docs/vectors.json, the machine-readable copy of docs/tokens.md's blocks. */
import { readFileSync } from 'node:fs';

const path = process.env.GLYPHVEIL_VECTORS ?? new URL('../../../docs/vectors.json', import.meta.url);
export const VECTORS = JSON.parse(readFileSync(path, 'utf8'));
export const FIRST_KEY = VECTORS.vectors[0].key;

/** The text of a minting case (given as text, text_repeat or text_code_points). */
export function caseText(item) {
  if (item.text_code_points) return String.fromCodePoint(...item.text_code_points);
  if (item.text_repeat) return item.text_repeat[0].repeat(item.text_repeat[1]);
  return item.text;
}
