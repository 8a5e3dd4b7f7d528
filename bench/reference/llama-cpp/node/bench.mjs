// Prefill and bs1 decode of a GGUF through node-llama-cpp, in bench-one-batch's terms: a prompt of
// PROMPT_LEN tokens in one call, then GEN_LEN greedy tokens after a 128-token prompt (the first
// generated token, which includes that prompt's evaluation, is not timed).
//   npm install --ignore-scripts && node bench.mjs MODEL.gguf THREADS 512 64 [ROUNDS]
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [modelPath, threads, promptLen, genLen, rounds = 3] = process.argv.slice(2).map((a, i) => (i ? +a : a));
if (!modelPath || !(threads > 0) || !(promptLen > 128) || !(genLen > 1)) {
  console.error("usage: node bench.mjs MODEL.gguf THREADS PROMPT_LEN(>128) GEN_LEN(>1) [ROUNDS]");
  process.exit(2);
}
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath});
const ctx = await model.createContext({contextSize: 2048, batchSize: promptLen, threads, sequences: 1});
const seq = ctx.getSequence();
// token ids only: speed does not depend on them, and the models are random
const prompt = Array.from({length: promptLen}, (_, i) => 1000 + ((i * 7919) % 100000));
for (let round = 0; round < rounds; round++) {
  await seq.clearHistory();
  let t0 = performance.now();
  await seq.evaluateWithoutGeneratingNewTokens(prompt);
  const prefill = (performance.now() - t0) / 1000;
  await seq.clearHistory();
  let n = 0;
  for await (const token of seq.evaluate(prompt.slice(0, 128), {temperature: 0})) {
    if (++n === 1) t0 = performance.now();
    if (n >= genLen) break;
  }
  const decode = (performance.now() - t0) / 1000;
  console.log(`node-llama-cpp round ${round}: prefill-${promptLen} ${(promptLen / prefill).toFixed(1)} tok/s, ` +
      `decode ${((n - 1) / decode).toFixed(2)} tok/s (${threads} threads)`);
}
await ctx.dispose();
await model.dispose();
