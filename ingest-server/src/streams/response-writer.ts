/**
 * Builds a large response body as a list of 64 KiB blocks instead of one contiguous Buffer.
 * A body-sized allocation (GetRecords answers run to 14 MB) gets fresh pages from the kernel
 * each time, and on virtual machines the page faults cost more than the copying; blocks this
 * size are recycled by the allocator. Text must be ASCII (it is written as latin1).
 */
const BLOCK_BYTES = 64 * 1024;

export class ResponseWriter {
  private readonly blocks: Buffer[] = [];
  private block = Buffer.allocUnsafe(BLOCK_BYTES);
  private used = 0;
  private total = 0;

  text(ascii: string): void {
    let from = 0;
    while (from < ascii.length) {
      if (this.used === BLOCK_BYTES) this.nextBlock();
      const n = this.block.write(from === 0 ? ascii : ascii.slice(from), this.used, 'latin1');
      this.used += n;
      from += n;
    }
    this.total += ascii.length;
  }

  bytes(data: Uint8Array): void {
    let from = 0;
    while (from < data.byteLength) {
      if (this.used === BLOCK_BYTES) this.nextBlock();
      const n = Math.min(BLOCK_BYTES - this.used, data.byteLength - from);
      this.block.set(data.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
    }
    this.total += data.byteLength;
  }

  get byteLength(): number {
    return this.total;
  }

  /** The body, in order; the writer must not be used afterwards. */
  finish(): Buffer[] {
    if (this.used > 0) this.blocks.push(this.block.subarray(0, this.used));
    return this.blocks;
  }

  private nextBlock(): void {
    this.blocks.push(this.block);
    this.block = Buffer.allocUnsafe(BLOCK_BYTES);
    this.used = 0;
  }
}
