// ort_mc.js — the ONNX Runtime baseline for kiln's MC-dropout: run a
// training-mode export T times on one input (1 thread), as ORT users do for
// Monte-Carlo dropout. Graph optimisation level defaults to 'disabled' since
// 'all' removes the Dropouts. Reports the time for the T runs (the median of
// R passes of T runs each, as kiln's figure is a median too) and whether the
// samples differ (they must, or the baseline is not MC-dropout at all).
// usage: ORT_NODE=DIR node bench/ort_mc.js MODEL.onnx INPUT.npy T [optlevel [R]]
const ort = require(process.env.ORT_NODE || 'onnxruntime-node');
const { npyRead } = require('./npy.js');

async function main() {
	const [model, input, T = '100', opt = 'disabled', R = '1'] = process.argv.slice(2);
	const s = await ort.InferenceSession.create(model, {
		intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: opt });
	const x = npyRead(input);
	const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) };
	for (let i = 0; i < 3; i++) await s.run(feeds);   // warm-up
	let first = null, differ = false;
	const passes = [];
	for (let p = 0; p < Math.max(1, +R); p++) {
		const t0 = process.hrtime.bigint();
		for (let i = 0; i < +T; i++) {
			const y = (await s.run(feeds))[s.outputNames[0]].data;
			if (first === null) first = Float32Array.from(y);
			else if (!differ) differ = y.some((v, j) => v !== first[j]);
		}
		passes.push(Number(process.hrtime.bigint() - t0) / 1e6);
	}
	passes.sort((a, b) => a - b);
	const ms = passes[passes.length >> 1];
	console.log(JSON.stringify({ model: model.split('/').pop(), T: +T, opt,
		ms: +ms.toFixed(3), passes: passes.length, samples_differ: differ }));
}

main().catch(e => { console.error(`ort_mc.js: ${e.message}`); process.exit(1); });
