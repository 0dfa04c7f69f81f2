/** JSON files of an ONNX model folder (tokenizers come from src/models/hf/tokenizer.ts). */
import { OrtModelError } from './session';

export function parseJsonFile(bytes: ArrayBuffer, file: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new OrtModelError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new OrtModelError(file, 'not a JSON object');
  return v as Record<string, unknown>;
}
