#!/usr/bin/env node
// Creates the fixture workspace the real-VS-Code tests open, in pure JS (no tools, no network):
//   sample.pdf                  a valid one-page PDF (correct xref table)
//   factura-ñandú 請求書.pdf     the same kind of PDF under a non-ASCII name
//   sample.png                  a 200×120 RGB PNG
//   photo.jpg                   a 32×16 baseline JPEG (JFIF, 3 components, DC-only blocks)
//   notes.txt                   plain text (the DocuTray menu must not offer itself here)
// No .vscode/settings.json: tests write the settings they need themselves.
//
// usage: node real-vscode/workspace.js <folder>      (module: createWorkspace(folder) -> file names)
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const FILES = {
  pdf: 'sample.pdf',
  png: 'sample.png',
  jpg: 'photo.jpg',
  unicodePdf: 'factura-ñandú 請求書.pdf',
  txt: 'notes.txt',
};

/**
 * A one-page PDF showing `text` (ASCII only), with a byte-exact xref table: one line on a small page, or
 * an array of lines down an A4 page (a sample invoice).
 */
function makePdf(text) {
  const esc = s => s.replace(/[()\\]/g, '\\$&');
  const lines = Array.isArray(text) ? text : undefined;
  const content = lines
    ? `BT /F1 11 Tf 16 TL 56 790 Td ${lines.map(l => `(${esc(l)}) Tj T*`).join(' ')} ET`
    : `BT /F1 24 Tf 30 70 Td (${esc(text)}) Tj ET`;
  const stream = Buffer.from(content, 'latin1');
  const objs = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${lines ? '595 842' : '300 144'}] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>`,
    ),
    Buffer.concat([Buffer.from(`<< /Length ${stream.length} >>\nstream\n`), stream, Buffer.from('\nendstream')]),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'),
  ];
  const parts = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let len = parts[0].length;
  const offsets = [];
  objs.forEach((o, i) => {
    offsets.push(len);
    const b = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), o, Buffer.from('\nendobj\n')]);
    parts.push(b);
    len += b.length;
  });
  const xref = len;
  let tail = `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) {
    tail += `${String(o).padStart(10, '0')} 00000 n \n`;
  }
  tail += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  parts.push(Buffer.from(tail));
  return Buffer.concat(parts);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) {
    c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** 200×120 RGB PNG: sky-blue background with a navy rectangle. */
function makePng() {
  const w = 200,
    h = 120;
  const raw = Buffer.alloc(h * (1 + w * 3));
  let p = 0;
  for (let y = 0; y < h; y++) {
    raw[p++] = 0; // filter: none
    for (let x = 0; x < w; x++) {
      const inner = x >= 20 && x < 180 && y >= 20 && y < 100;
      const [r, g, b] = inner ? [0x00, 0x00, 0x80] : [0x87, 0xce, 0xeb];
      raw[p++] = r;
      raw[p++] = g;
      raw[p++] = b;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2; // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A baseline (SOF0) JFIF JPEG, 4:4:4 YCbCr, one solid colour per 8×8 block. Every block is
 * encoded with its DC coefficient only (quantisation table of ones, so the decoder reconstructs
 * each block's colour exactly); the AC table holds a single symbol, EOB.
 * `blocks` is rows of [r, g, b] colours; the image is 8·columns × 8·rows pixels.
 */
function makeJpeg(blocks) {
  const rows = blocks.length,
    cols = blocks[0].length;
  const seg = (marker, data) => {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(data.length + 2);
    return Buffer.concat([Buffer.from([0xff, marker]), len, Buffer.from(data)]);
  };
  // Huffman tables: DC = the standard luminance DC table (categories 0..11); AC = { EOB: '0' }.
  const dcBits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
  const dcVals = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const acBits = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const acVals = [0x00];
  const codes = (bits, vals) => {
    // canonical Huffman codes (JPEG Annex C)
    const out = new Map();
    let code = 0,
      k = 0;
    for (let len = 1; len <= 16; len++) {
      for (let i = 0; i < bits[len - 1]; i++) {
        out.set(vals[k++], { code, len });
        code++;
      }
      code <<= 1;
    }
    return out;
  };
  const dc = codes(dcBits, dcVals),
    ac = codes(acBits, acVals);

  const bytes = [];
  let acc = 0,
    nbits = 0;
  const put = (value, len) => {
    for (let i = len - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      nbits++;
      if (nbits === 8) {
        bytes.push(acc);
        if (acc === 0xff) {
          bytes.push(0x00);
        }
        acc = 0;
        nbits = 0;
      }
    }
  };
  const pred = [0, 0, 0];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [R, G, B] = blocks[r][c];
      const ycc = [
        0.299 * R + 0.587 * G + 0.114 * B,
        128 - 0.168736 * R - 0.331264 * G + 0.5 * B,
        128 + 0.5 * R - 0.418688 * G - 0.081312 * B,
      ].map(v => Math.max(0, Math.min(255, Math.round(v))));
      ycc.forEach((v, comp) => {
        const coef = 8 * (v - 128); // DC of a flat block after level shift; quantiser = 1
        const diff = coef - pred[comp];
        pred[comp] = coef;
        const mag = Math.abs(diff);
        const cat = mag === 0 ? 0 : Math.floor(Math.log2(mag)) + 1;
        const h = dc.get(cat);
        put(h.code, h.len);
        if (cat > 0) {
          put(diff >= 0 ? diff : diff + (1 << cat) - 1, cat);
        }
        const eob = ac.get(0x00);
        put(eob.code, eob.len);
      });
    }
  }
  if (nbits > 0) {
    put((1 << (8 - nbits)) - 1, 8 - nbits);
  } // pad with 1 bits

  const h = rows * 8,
    w = cols * 8;
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]), // SOI
    seg(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]), // APP0 JFIF 1.1, 1:1, no thumbnail
    seg(0xdb, [0x00, ...new Array(64).fill(1)]), // DQT: table 0, 8-bit, all ones
    seg(0xc0, [8, h >> 8, h & 0xff, w >> 8, w & 0xff, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]), // SOF0
    seg(0xc4, [0x00, ...dcBits, ...dcVals]), // DHT: DC table 0
    seg(0xc4, [0x10, ...acBits, ...acVals]), // DHT: AC table 0
    seg(0xda, [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]), // SOS: all components use tables 0/0
    Buffer.from(bytes),
    Buffer.from([0xff, 0xd9]), // EOI
  ]);
}

const JPEG_BLOCKS = [
  [
    [220, 40, 40],
    [240, 160, 30],
    [240, 220, 40],
    [60, 180, 75],
  ],
  [
    [40, 120, 220],
    [90, 60, 180],
    [250, 250, 250],
    [30, 30, 30],
  ],
];

/** Writes the fixture files into `folder` (created if needed). Returns { dir, files }. */
function createWorkspace(folder) {
  fs.mkdirSync(folder, { recursive: true });
  const write = (name, data) => fs.writeFileSync(path.join(folder, name), data);
  write(FILES.pdf, makePdf('Invoice 2024-0042'));
  write(FILES.unicodePdf, makePdf('Factura 0007'));
  write(FILES.png, makePng());
  write(FILES.jpg, makeJpeg(JPEG_BLOCKS));
  write(FILES.txt, 'Plain text notes: DocuTray steps are offered for PDFs and images only.\n');
  return { dir: folder, files: { ...FILES } };
}

module.exports = { createWorkspace, FILES, makePdf, makePng, makeJpeg };

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node real-vscode/workspace.js <folder>');
    process.exit(64);
  }
  const ws = createWorkspace(path.resolve(dir));
  for (const f of Object.values(ws.files)) {
    console.log(`${String(fs.statSync(path.join(ws.dir, f)).size).padStart(6)}  ${f}`);
  }
}
