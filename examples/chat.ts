/**
 * A multi-user line chat: the first line a user sends is their nick; every
 * later line is broadcast to the others as `<nick> line`; `/who` lists the
 * users, `/quit` leaves. Shows the set of users kept in the factory, shared
 * by every connection, a `MAX_LENGTH` with `discardLongLineRest`, and a
 * `lineLengthExceeded` that answers instead of hanging up.
 *
 * Run it (from the repository root; Ctrl+C stops it, exit status 0):
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:8047 examples/chat.ts
 * # listening on tcp:8047:interface=127.0.0.1
 * ```
 *
 * Other endpoints: pass descriptions (`tcp:0:interface=127.0.0.1`) and
 * widen `--allow-net` to match.
 *
 * Talk to it from two or more terminals (CR LF line ends), choose a nick in
 * each, then chat:
 *
 * ```sh
 * nc -C 127.0.0.1 8047
 * socat - TCP:127.0.0.1:8047,crlf
 * ```
 *
 * @module
 */

import type { ConnectionClosed } from "../protocols/errors.ts";
import { Factory } from "../protocols/factory.ts";
import { LineReceiver } from "../protocols/line_receiver.ts";
import { serve } from "./_serve.ts";

const NICK = /^[\p{L}\p{N}_-]{1,32}$/u;

/** One chat user's connection. */
export class ChatUser extends LineReceiver {
  /** Chat lines are short. */
  override MAX_LENGTH = 1024;
  /** A long line is refused once, not piece by piece. */
  override discardLongLineRest = true;
  /** The nick, once chosen. */
  nick: string | null = null;

  /** Ask for a nick. */
  override connectionMade(): void {
    this.sendLine("Welcome! What is your nick?");
  }

  /** The nick first, then chat lines and commands. */
  override lineReceived(line: string): void {
    const chat = this.factory as ChatFactory;
    if (this.nick === null) return this.#chooseNick(chat, line.trim());
    if (line === "/quit") {
      this.sendLine("Bye!");
      this.transport!.loseConnection();
      return;
    }
    if (line === "/who") {
      this.sendLine(`Here: ${[...chat.users.keys()].sort().join(", ")}`);
      return;
    }
    chat.broadcast(`<${this.nick}> ${line}`, this);
  }

  /** Refuse an overlong line without dropping the user. */
  override lineLengthExceeded(_buffer: Uint8Array): void {
    this.sendLine(
      `Line too long (more than ${this.MAX_LENGTH} bytes): dropped`,
    );
  }

  /** Leave the room. */
  override connectionLost(_reason: ConnectionClosed): void {
    if (this.nick === null) return;
    const chat = this.factory as ChatFactory;
    chat.users.delete(this.nick);
    chat.broadcast(`* ${this.nick} has left`, this);
  }

  #chooseNick(chat: ChatFactory, nick: string): void {
    if (!NICK.test(nick)) {
      this.sendLine("Nicks are 1-32 letters, digits, _ or -. Try again:");
    } else if (chat.users.has(nick)) {
      this.sendLine(`${nick} is taken. Try again:`);
    } else {
      this.nick = nick;
      chat.users.set(nick, this);
      this.sendLine(
        `Welcome, ${nick}! ${chat.users.size} here. /quit to leave.`,
      );
      chat.broadcast(`* ${nick} has joined`, this);
    }
  }
}

/** The chat room: every user, by nick. */
export class ChatFactory extends Factory<ChatUser> {
  override protocol: new () => ChatUser = ChatUser;
  /** Users who chose a nick. */
  readonly users: Map<string, ChatUser> = new Map();

  /**
   * Send a line to every user but `from`.
   *
   * @param line The line.
   * @param from Who said it.
   */
  broadcast(line: string, from: ChatUser): void {
    for (const user of this.users.values()) {
      if (user !== from) user.sendLine(line);
    }
  }
}

/** The chat service's factory. */
export const factory: ChatFactory = new ChatFactory();

/** Where the example listens by default. */
export const defaults: string[] = ["tcp:8047:interface=127.0.0.1"];

if (import.meta.main) await serve([{ factory, defaults }], Deno.args);
