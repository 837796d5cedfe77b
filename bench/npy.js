// npy.js — minimal .npy reader/writer (float32, C order) shared by kiln's
// ONNX Runtime benchmark scripts, so that they feed ORT the same input files
// as kiln. Only what the scripts need: little-endian '<f4', no Fortran order.
const fs = require('fs');

// Reads a float32 .npy file; returns { shape, data: Float32Array }. Throws on other dtypes.
function npyRead(path) {
	const b = fs.readFileSync(path);
	const ver = b[6], hl = ver === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
	const off = (ver === 1 ? 10 : 12) + hl;
	const h = b.slice(off - hl, off).toString('latin1');
	if (!/'descr':\s*'<f4'/.test(h) || /'fortran_order':\s*True/.test(h))
		throw new Error(`${path}: only little-endian float32 C-order .npy is supported`);
	const shape = h.match(/'shape':\s*\(([^)]*)\)/)[1].split(',')
		.map(s => s.trim()).filter(Boolean).map(Number);
	const copy = Uint8Array.from(b.subarray(off));   // aligned copy
	return { shape, data: new Float32Array(copy.buffer) };
}

// Writes a float32 array of the given shape as a version-1 .npy file.
function npyWrite(path, shape, data) {
	const sh = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
	let h = `{'descr': '<f4', 'fortran_order': False, 'shape': ${sh}, }`;
	h += ' '.repeat(63 - ((10 + h.length) % 64)) + '\n';
	const head = Buffer.alloc(10);
	head.write('\x93NUMPY', 0, 'latin1'); head[6] = 1; head[7] = 0; head.writeUInt16LE(h.length, 8);
	const f32 = Float32Array.from(data);
	fs.writeFileSync(path, Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(f32.buffer)]));
}

module.exports = { npyRead, npyWrite };
