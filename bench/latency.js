// latency.js — kiln's and ONNX Runtime's (onnxruntime-node, CPU, all graph
// optimisations) median latency of one model, interleaved: one ONNX Runtime
// session stays open while ROUNDS rounds each time RUNS/ROUNDS runs of it and
// then as many of `kiln bench` (a child process), so that both sides see the
// same spells of this shared machine's speed (seconds long; with three rounds
// of a fresh process each, one side often got a slow spell the other missed).
// usage: ORT_NODE=DIR node bench/latency.js KILN MODEL.onnx MODEL.so THREADS RUNS BATCH ROUNDS
// Prints one JSON line: kiln_ms and ort_ms, each the median of its rounds'
// medians (one warm-up run per round on each side), ort_ms null and ort_error
// set when ONNX Runtime cannot run the model; exit status 1 when kiln cannot.
const { execFileSync } = require('child_process');

function median(v) {
	const s = [...v].sort((a, b) => a - b), h = s.length >> 1;
	return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

// One deterministic float32 tensor per graph input.
function makeFeeds(ort, session, batch) {
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

async function openOrt(model, threads, batch) {
	const ort = require(process.env.ORT_NODE || 'onnxruntime-node');
	const s = await ort.InferenceSession.create(model, {
		intraOpNumThreads: threads, interOpNumThreads: 1,
		graphOptimizationLevel: 'all', executionMode: 'sequential' });
	const feeds = makeFeeds(ort, s, batch);
	for (let i = 0; i < 3; i++) await s.run(feeds);   // warm-up
	return { s, feeds };
}

async function ortRound(o, runs) {
	await o.s.run(o.feeds);
	const ts = [];
	for (let i = 0; i < runs; i++) {
		const a = process.hrtime.bigint();
		await o.s.run(o.feeds);
		ts.push(Number(process.hrtime.bigint() - a) / 1e6);
	}
	return median(ts);
}

function kilnRound(kiln, so, threads, runs, batch) {
	const out = execFileSync(kiln, ['bench', so, `--threads=${threads}`, `--runs=${runs}`,
		`--batch=${batch}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	return JSON.parse(out.trim().split('\n').pop()).median_ms;
}

async function main() {
	const [kiln, model, so, threads, runs, batch, rounds] = process.argv.slice(2);
	if (!rounds)
		throw new Error('usage: node bench/latency.js KILN MODEL.onnx MODEL.so THREADS RUNS BATCH ROUNDS');
	const per = Math.max(1, Math.round(+runs / +rounds));
	let o = null, ortError = null;
	try {
		o = await openOrt(model, +threads, +batch);
	} catch (e) {
		ortError = e.message;
	}
	const ks = [], os = [];
	for (let r = 0; r < +rounds; r++) {
		if (o) os.push(await ortRound(o, per));
		ks.push(kilnRound(kiln, so, +threads, per, +batch));
	}
	const res = { kiln_ms: +median(ks).toFixed(4), ort_ms: o ? +median(os).toFixed(4) : null,
		rounds: +rounds, runs_per_round: per };
	if (ortError) res.ort_error = ortError;
	console.log(JSON.stringify(res));
}

main().catch(e => { console.error(`latency.js: ${e.message}`); process.exit(1); });
