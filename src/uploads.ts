// A file received with a GraphQL multipart request. The HTTP layer streams it to a temporary file
// (hashing it on the way) and removes that file when the response is sent, so nothing of an upload is
// held in memory unless a resolver asks for its bytes.
import { readFile } from 'node:fs/promises';

export class UploadedFile {
  constructor(
    /** The temporary file holding the received bytes. */
    readonly path: string,
    /** Bytes received; when `truncated`, the upload was larger and only this much was kept. */
    readonly size: number,
    readonly sha256: string,
    readonly name: string | null,
    readonly type: string,
    /** The upload went over the per-file limit of the request and was cut off. */
    readonly truncated: boolean,
  ) {}

  /** True when the upload is larger than `limit` bytes (a cut-off upload always is). */
  exceeds(limit: number): boolean {
    return this.truncated || this.size > limit;
  }

  /** "the image is 31457280 bytes" / "more than 26214400 bytes", for UPLOAD_TOO_LARGE messages. */
  describeSize(what: string): string {
    return this.truncated ? `the ${what} is more than ${this.size} bytes` : `the ${what} is ${this.size} bytes`;
  }

  bytes(): Promise<Buffer> {
    return readFile(this.path);
  }
}
