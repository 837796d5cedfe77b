// ort_bench.js — ONNX Runtime (onnxruntime-node, CPU) median latency of one
// model, all graph optimisations, for kiln's benchmark (bench/run.sh).
// usage: ORT_NODE=DIR node bench/ort_bench.js MODEL.onnx THREADS RUNS BATCH
// Inputs are deterministic float32 values; symbolic dims are set to BATCH.
// Prints one JSON line: model, threads, batch, runs, median_ms, min_ms, load_ms.
const ort = require(process.env.ORT_NODE || 'onnxruntime-node');

// Builds one deterministic float32 tensor per graph input.
function makeFeeds(session, batch) {
	const feeds = {};
	session.inputNames.forEach((name, k) => {
		const meta = session.inputMetadata[k];
		if (meta.type !== 'float32')
			throw new Error(`input ${name}: only float32 inputs are supported (got ${meta.type})`);
		const dims = meta.shape.map(d => (typeof d === 'number' ? d : batch));
		const n = dims.reduce((a, b) => a * b, 1), data = new Float32Array(n);
		for (let i = 0; i < n; i++) data[i] = Math.cos(0.37 * i);
		feeds[name] = new ort.Tensor('float32', data, dims);
	});
	return feeds;
}

async function main() {
	const [model, threads = '1', runs = '20', batch = '1'] = process.argv.slice(2);
	const t0 = process.hrtime.bigint();
	const s = await ort.InferenceSession.create(model, {
		intraOpNumThreads: +threads, interOpNumThreads: 1,
		graphOptimizationLevel: 'all', executionMode: 'sequential' });
	const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
	const feeds = makeFeeds(s, +batch);
	for (let i = 0; i < 3; i++) await s.run(feeds);   // warm-up
	const ts = [];
	for (let i = 0; i < +runs; i++) {
		const a = process.hrtime.bigint();
		await s.run(feeds);
		ts.push(Number(process.hrtime.bigint() - a) / 1e6);
	}
	ts.sort((a, b) => a - b);
	const med = ts.length % 2 ? ts[ts.length >> 1] : (ts[ts.length / 2 - 1] + ts[ts.length / 2]) / 2;
	console.log(JSON.stringify({ model: model.split('/').pop(), threads: +threads, batch: +batch,
		runs: +runs, median_ms: +med.toFixed(4), min_ms: +ts[0].toFixed(4), load_ms: +loadMs.toFixed(1) }));
}

main().catch(e => { console.error(`ort_bench.js: ${e.message}`); process.exit(1); });
