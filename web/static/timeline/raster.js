// The raster layer of the timeline's canvas (see render.js): drawing one
// pixel column at a time, straight into memory.

// Raster is the layer under the lanes' vector drawing: a pixel buffer for
// what is drawn one pixel column at a time (dense instants, bars under a
// pixel wide, lane stripes), written straight into memory and put on its
// own canvas once a frame. Thousands of fillRect calls would cost far more,
// in script and in rasterizing, than one putImageData.
export class Raster {
  constructor(canvas) {
    this.canvas = canvas;
    this.g = canvas.getContext("2d");
    this.img = null;
    this.buf = null;
    this.w = 0;
    this.h = 0;
    this.dpr = 1;
    this.colours = new Map();
    const probe = document.createElement("canvas");
    probe.width = 1;
    probe.height = 1;
    this.probe = probe.getContext("2d", { willReadFrequently: true });
  }

  begin(w, h, dpr) {
    const W = Math.max(1, Math.round(w * dpr));
    const H = Math.max(1, Math.round(h * dpr));
    if (!this.img || this.img.width !== W || this.img.height !== H) {
      this.img = this.g.createImageData(W, H);
      this.buf = new Uint32Array(this.img.data.buffer);
    } else this.buf.fill(0);
    this.w = W;
    this.h = H;
    this.dpr = dpr;
  }

  // u32 turns a CSS colour into a pixel, cached.
  u32(css) {
    let v = this.colours.get(css);
    if (v === undefined) {
      const p = this.probe;
      p.clearRect(0, 0, 1, 1);
      p.fillStyle = css;
      p.fillRect(0, 0, 1, 1);
      const [r, gg, b, a] = p.getImageData(0, 0, 1, 1).data;
      v = ((a << 24) | (b << 16) | (gg << 8) | r) >>> 0;
      this.colours.set(css, v);
    }
    return v;
  }

  // rect fills a rectangle given in CSS pixels.
  rect(x, y, w, h, px) {
    const d = this.dpr;
    const x0 = Math.max(0, Math.round(x * d));
    const x1 = Math.min(this.w, Math.round((x + w) * d));
    const y0 = Math.max(0, Math.round(y * d));
    const y1 = Math.min(this.h, Math.round((y + h) * d));
    if (x1 <= x0 || y1 <= y0) return;
    const buf = this.buf;
    const W = this.w;
    if (x1 - x0 === 1) {
      for (let yy = y0, o = y0 * W + x0; yy < y1; yy++, o += W) buf[o] = px;
    } else {
      for (let yy = y0; yy < y1; yy++) buf.fill(px, yy * W + x0, yy * W + x1);
    }
  }

  end() {
    if (this.canvas.width !== this.w || this.canvas.height !== this.h) {
      this.canvas.width = this.w;
      this.canvas.height = this.h;
    }
    this.g.putImageData(this.img, 0, 0);
  }
}
