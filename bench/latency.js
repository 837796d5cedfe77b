// latency.js — kiln's and ONNX Runtime's (onnxruntime-node, CPU, all graph
// optimisations) median latency of one model, interleaved: one ONNX Runtime
// session and one `kiln bench --rounds` session (a child process, which
// times a round each time it reads a line) stay open, and ROUNDS rounds of
// RUNS/ROUNDS runs alternate between them, so that both sides see the same
// spells of this shared machine's speed (seconds long; with three rounds of a
// fresh process each, one side often caught a slow spell the other missed),
// and both sides run warm.
// usage: ORT_NODE=DIR node bench/latency.js KILN MODEL.onnx MODEL.so THREADS RUNS BATCH ROUNDS
// Prints one JSON line: kiln_ms and ort_ms, each the median of its rounds'
// medians (one warm-up run per round on each side, QUIET_MS between the
// sides' rounds), ort_ms null and ort_error
// set when ONNX Runtime cannot run the model; exit status 1 when kiln cannot.
const { spawn } = require('child_process');
const readline = require('readline');
const QUIET_MS = 100;   /* ms between the two sides' rounds */

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

// `kiln bench --rounds=ROUNDS` on the model: next() starts a round and
// resolves with its median once kiln prints it.
function openKiln(kiln, so, threads, runs, batch, rounds) {
	const p = spawn(kiln, ['bench', so, `--threads=${threads}`, `--runs=${runs}`,
		`--batch=${batch}`, `--rounds=${rounds}`], { stdio: ['pipe', 'pipe', 'pipe'] });
	const lines = readline.createInterface({ input: p.stdout })[Symbol.asyncIterator]();
	let err = '';
	p.stderr.on('data', d => { err += d; });
	return {
		async next() {
			p.stdin.write('go\n');
			const l = await lines.next();
			if (l.done)
				throw new Error(`kiln bench: ${err.trim() || 'ended early'}`);
			return JSON.parse(l.value).median_ms;
		},
		close() { p.stdin.end(); },
	};
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
	const k = openKiln(kiln, so, +threads, per, +batch, +rounds);
	for (let r = 0; r < +rounds; r++) {
		if (o) {
			os.push(await ortRound(o, per));
			// each side's pool threads spin for a while after a run: on two
			// cores ONNX Runtime's took one from kiln's (the seed network at
			// 2 threads timed 14x slower); let them go to sleep first
			await new Promise(done => setTimeout(done, QUIET_MS));
		}
		ks.push(await k.next());
		await new Promise(done => setTimeout(done, QUIET_MS));
	}
	k.close();
	const res = { kiln_ms: +median(ks).toFixed(4), ort_ms: o ? +median(os).toFixed(4) : null,
		rounds: +rounds, runs_per_round: per };
	if (ortError) res.ort_error = ortError;
	console.log(JSON.stringify(res));
}

main().catch(e => { console.error(`latency.js: ${e.message}`); process.exit(1); });
