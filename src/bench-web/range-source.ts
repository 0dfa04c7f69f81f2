/**
 * A model folder on the comparison page's server, opened for the studio the way the bench needs it on a
 * large model: the JSON files fetched, the weights (model.safetensors, or the shards of
 * model.safetensors.index.json) read tensor by tensor with HTTP Range requests, so no weight file is ever
 * held whole in the page's memory (a 0.6 B-parameter f32 checkpoint is 2.4 GB). The reads are synchronous
 * XMLHttpRequests, which a dedicated worker may make with an ArrayBuffer response (studio-worker.ts); the
 * page's main thread cannot. Served by src/cli/bench-browser.ts (serveBench answers Range requests).
 */
import type { HfModelFiles } from '../models/hf/embedder';
import { HfLoadError } from '../models/hf/load-types';
import { parseShardIndex, SHARD_INDEX, ShardedSource } from '../models/hf/shards';
import { ReaderSource, type ByteReader, type TensorSource } from '../models/hf/tensor-source';

function request(method: 'HEAD' | 'GET', url: string, range?: [number, number]): XMLHttpRequest {
  const x = new XMLHttpRequest();
  x.open(method, url, false);
  if (range) {
    x.responseType = 'arraybuffer';
    x.setRequestHeader('Range', `bytes=${range[0]}-${range[1] - 1}`);
  }
  x.send();
  return x;
}

/**
 * Byte ranges of the file at `url`, each read when asked (its size from a HEAD request). Throws naming
 * the URL when the server has no such file or does not answer ranges.
 */
export function rangeReader(url: string): ByteReader {
  const head = request('HEAD', url);
  if (head.status !== 200) throw new HfLoadError(url, `HTTP ${head.status}`, head.status);
  const size = Number(head.getResponseHeader('Content-Length'));
  if (!Number.isFinite(size)) throw new HfLoadError(url, 'no Content-Length');
  return {
    size,
    read(begin: number, end: number): ArrayBuffer {
      if (end <= begin) return new ArrayBuffer(0);
      const x = request('GET', url, [begin, end]);
      if (x.status !== 206)
        throw new HfLoadError(url, `HTTP ${x.status} to a Range request for bytes [${begin}, ${end})`);
      return x.response as ArrayBuffer;
    },
  };
}

async function text(url: string): Promise<string | null> {
  const res = await fetch(url);
  if (res.status === 404) return null;
  if (!res.ok) throw new HfLoadError(url, `HTTP ${res.status}`, res.status);
  return res.text();
}

/** The model folder at `base` (ending in "/"): JSON files now, weights by Range reads (see the file comment). */
export async function openRangeModel(base: string): Promise<HfModelFiles> {
  const need = async (file: string) => {
    const t = await text(new URL(file, base).href);
    if (t === null) throw new HfLoadError(new URL(file, base).href, 'HTTP 404', 404);
    return t;
  };
  const [config, tokenizer, tokenizerConfig] = await Promise.all([
    need('config.json'),
    need('tokenizer.json'),
    need('tokenizer_config.json'),
  ]);
  const indexUrl = new URL(SHARD_INDEX, base).href;
  const indexText = await text(indexUrl);
  let weights: TensorSource;
  if (indexText === null) {
    const url = new URL('model.safetensors', base).href;
    weights = ReaderSource.open(rangeReader(url), url);
  } else {
    const index = parseShardIndex(indexText, indexUrl);
    const shards = new Map<string, TensorSource>();
    for (const name of index.shards) {
      const url = new URL(name, base).href;
      shards.set(name, ReaderSource.open(rangeReader(url), url));
    }
    weights = new ShardedSource(index, shards);
  }
  return { config, tokenizer, tokenizerConfig, weights, source: base };
}
