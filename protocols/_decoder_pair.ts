// The Web-streams form of a frame parser, shared by every decoder stream
// (lines, netstrings, length prefixes).
//
// It is a readable/writable pair rather than a TransformStream because a
// TransformStream that errors throws away the chunks still queued on its
// readable side: frames decoded from the same input chunk as a framing error
// would be lost. Here the output errors only once the consumer has read every
// frame decoded before the error (as a receiver delivers them before calling
// its error hook), while the input side errors at once so that the source
// (a connection's readable, say) is cancelled without delay.

/** What the decoder streams need of a parser. */
export interface FrameParser<T = Uint8Array> {
  push(chunk: Uint8Array): void;
  /** The next frame, or undefined when more bytes are needed; throws a framing error. */
  next(): T | undefined;
  /** The input ended: throw if it ended mid-frame; frames it completes are read with `next`. */
  end(): void;
}

/** A readable/writable pair decoding the bytes written into frames read. */
export interface DecoderPair<T = Uint8Array> {
  readable: ReadableStream<T>;
  writable: WritableStream<Uint8Array>;
}

/** Wraps `parser` as a pair of streams with backpressure. */
export function decoderPair<T = Uint8Array>(
  parser: FrameParser<T>,
): DecoderPair<T> {
  let output!: ReadableStreamDefaultController<T>;
  let input!: WritableStreamDefaultController;
  let outputEnded = false;
  // The error the output ends with once its queue has drained.
  let failure: { error: unknown } | null = null;
  // The write waiting for the consumer to take the frames it queued.
  let waiting: { resolve(): void; reject(error: unknown): void } | null = null;

  // The output has an empty queue here (its high-water mark is 0):
  // desiredSize is 0 exactly when nothing decoded is still waiting.
  function endWith(error: unknown): void {
    failure ??= { error };
    if (!outputEnded && output.desiredSize === 0) {
      outputEnded = true;
      output.error(error);
    }
  }

  const readable = new ReadableStream<T>({
    start(controller): void {
      output = controller;
    },
    // Called when the consumer waits on an empty queue.
    pull(): void {
      if (failure && !outputEnded) {
        outputEnded = true;
        output.error(failure.error);
      }
      const write = waiting;
      waiting = null;
      write?.resolve();
    },
    cancel(reason): void {
      outputEnded = true;
      failure ??= { error: reason };
      const write = waiting;
      waiting = null;
      write?.reject(reason);
      input.error(reason);
    },
  }, { highWaterMark: 0 });

  const writable = new WritableStream<Uint8Array>({
    start(controller): void {
      input = controller;
    },
    write(chunk): Promise<void> | void {
      if (failure) throw failure.error;
      try {
        if (!(chunk instanceof Uint8Array)) {
          throw new TypeError(
            `Decoder input must be Uint8Array chunks: ${typeof chunk}`,
          );
        }
        parser.push(chunk);
        for (let f = parser.next(); f !== undefined; f = parser.next()) {
          output.enqueue(f);
        }
      } catch (error) {
        endWith(error);
        throw error;
      }
      if (output.desiredSize !== null && output.desiredSize < 0) {
        return new Promise((resolve, reject) => {
          waiting = { resolve, reject };
        });
      }
    },
    close(): void {
      if (failure) throw failure.error;
      try {
        parser.end();
        for (let f = parser.next(); f !== undefined; f = parser.next()) {
          output.enqueue(f);
        }
      } catch (error) {
        endWith(error);
        throw error;
      }
      outputEnded = true;
      output.close();
    },
    abort(reason): void {
      failure ??= { error: reason };
      if (!outputEnded) {
        outputEnded = true;
        output.error(reason);
      }
    },
  }, { highWaterMark: 1 });

  return { readable, writable };
}
