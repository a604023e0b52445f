import * as assert from 'node:assert/strict';
import { InvalidInputError } from '../../../../src/core/api/errors';
import { prepareBody } from '../../../../src/core/documents/input';
import {
  detectMime,
  isSupportedFileName,
  isSupportedMime,
  mimeFromName,
  sniffMime,
} from '../../../../src/core/documents/mime';
import { MIMES, SAMPLES, rejection } from '../client/support';

describe('MIME detection', () => {
  describe('by name', () => {
    const cases: [string, string | undefined][] = [
      ['invoice.pdf', 'application/pdf'],
      ['SCAN.PDF', 'application/pdf'],
      ['a.png', 'image/png'],
      ['a.jpg', 'image/jpeg'],
      ['a.JPEG', 'image/jpeg'],
      ['a.jpe', 'image/jpeg'],
      ['a.jfif', 'image/jpeg'],
      ['a.gif', 'image/gif'],
      ['a.bmp', 'image/bmp'],
      ['a.webp', 'image/webp'],
      ['a.tif', 'image/tiff'],
      ['a.tiff', 'image/tiff'],
      ['notes.txt', 'text/plain'],
      ['report.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      ['no-extension', undefined],
      ['.pdf', undefined],
      ['dir.pdf/file', undefined],
      ['factura-ñandú 請求書.pdf', 'application/pdf'],
    ];
    for (const [name, mime] of cases) {
      it(`${name} → ${mime}`, () => assert.equal(mimeFromName(name), mime));
    }
    it('knows which names the explorer may offer', () => {
      assert.equal(isSupportedFileName('x.PNG'), true);
      assert.equal(isSupportedFileName('x.txt'), false);
      assert.equal(isSupportedFileName('x'), false);
    });
    it('accepts supported types with parameters and any case only', () => {
      assert.equal(isSupportedMime('Application/PDF; charset=binary'), true);
      assert.equal(isSupportedMime('text/plain'), false);
      assert.equal(isSupportedMime(undefined), false);
    });
  });

  describe('by magic bytes', () => {
    for (const [kind, mime] of Object.entries(MIMES)) {
      it(`${kind} → ${mime}`, () => {
        const head = SAMPLES[kind as keyof typeof MIMES];
        assert.equal(sniffMime(head), mime);
        // The bytes decide even when the name says nothing.
        assert.deepEqual(detectMime('upload.bin', head), { mime, confirmed: true });
      });
    }
    it('finds a PDF header after leading junk', () => {
      const head = Buffer.concat([Buffer.from('\r\n\r\ngarbage from a mail gateway\n'), SAMPLES.pdf]);
      assert.deepEqual(detectMime('x.pdf', head), { mime: 'application/pdf', confirmed: true });
    });
    it('does not call text that happens to begin with "BM" a bitmap', () => {
      const head = Buffer.from('BMW invoice 2024\nTotal: 1160.00 EUR\nThank you for your business.\n');
      assert.equal(sniffMime(head), undefined);
      assert.deepEqual(detectMime('bmw.pdf', head), { mime: 'application/pdf', confirmed: false });
    });
    it('knows nothing of unrelated bytes', () => {
      assert.equal(sniffMime(SAMPLES.text), undefined);
      assert.equal(sniffMime(new Uint8Array(0)), undefined);
    });
  });

  describe('name versus bytes', () => {
    it('corrects a mislabelled file to what its bytes are', () => {
      assert.deepEqual(detectMime('photo.pdf', SAMPLES.png), { mime: 'image/png', confirmed: true });
      assert.deepEqual(detectMime('scan.jpg', SAMPLES.pdf, 'image/jpeg'), { mime: 'application/pdf', confirmed: true });
    });
    it('falls back to the declared type, then the name, unconfirmed', () => {
      assert.deepEqual(detectMime('a.pdf', SAMPLES.text), { mime: 'application/pdf', confirmed: false });
      assert.deepEqual(detectMime('a.pdf', SAMPLES.text, 'Image/PNG; x=y'), { mime: 'image/png', confirmed: false });
      assert.deepEqual(detectMime(undefined, SAMPLES.text), { mime: undefined, confirmed: false });
    });
  });

  describe('prepared bodies', () => {
    it('sends a mislabelled file as what it is', async () => {
      const body = await prepareBody({ kind: 'bytes', data: SAMPLES.png, fileName: 'photo.pdf' });
      assert.equal(body.contentType, 'image/png');
      assert.equal(body.fileName, 'photo.pdf');
    });
    it('refuses a text file named .pdf', async () => {
      const err = await rejection(prepareBody({ kind: 'bytes', data: SAMPLES.text, fileName: 'fake.pdf' }));
      assert.ok(err instanceof InvalidInputError);
      assert.equal(err.reason, 'unsupportedType');
      assert.match(err.message, /fake\.pdf/);
    });
    it('refuses a type DocuTray does not accept, naming it', async () => {
      const err = await rejection(prepareBody({ kind: 'bytes', data: SAMPLES.text, fileName: 'notes.txt' }));
      assert.ok(err instanceof InvalidInputError);
      assert.equal(err.reason, 'unsupportedType');
      assert.match(err.message, /text\/plain/);
    });
  });
});
