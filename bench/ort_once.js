// ort_once.js — cold-start counterpart of `kiln run MODEL.so -i INPUT.npy`:
// loads ONNX Runtime, creates a session (all optimisations, 1 thread), runs
// once on INPUT.npy and writes OUTDIR/output_0.npy. Timed from outside by
// bench/run.sh with /usr/bin/time -v (elapsed and max RSS).
// usage: ORT_NODE=DIR node bench/ort_once.js MODEL.onnx INPUT.npy OUTDIR
const ort = require(process.env.ORT_NODE || 'onnxruntime-node');
const { npyRead, npyWrite } = require('./npy.js');

async function main() {
	const [model, input, outdir] = process.argv.slice(2);
	const s = await ort.InferenceSession.create(model, {
		intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
	const x = npyRead(input);
	const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) });
	const y = out[s.outputNames[0]];
	npyWrite(`${outdir}/output_0.npy`, y.dims, y.data);
}

main().catch(e => { console.error(`ort_once.js: ${e.message}`); process.exit(1); });
