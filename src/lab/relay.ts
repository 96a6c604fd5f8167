// The keepalive path of a loopback lab: a UDP relay the lab controls, standing where a switch or a
// security group would. Node A talks to "B" at the relay's B face and vice versa; the relay re-sends
// each datagram from the face the receiver expects as its peer, so both agents see an ordinary unicast
// path. Cutting it drops datagrams: the same thing a pulled cable or a changed security group does.
import { createSocket, type Socket } from 'node:dgram';

export interface RelayAddresses {
  readonly a: string;
  readonly b: string;
  /** Where A sends (B's face) and where B sends (A's face). */
  readonly face_of_b: string;
  readonly face_of_a: string;
  readonly port: number;
}

export class KeepaliveRelay {
  readonly #addr: RelayAddresses;
  readonly #faceA: Socket;
  readonly #faceB: Socket;
  /** Datagrams to or from this node are dropped. */
  readonly #cut = { a: false, b: false };
  forwarded = 0;
  dropped = 0;

  private constructor(addr: RelayAddresses, faceA: Socket, faceB: Socket) {
    this.#addr = addr;
    this.#faceA = faceA;
    this.#faceB = faceB;
    // From A (arrives at B's face) → re-sent from A's face to B; and the mirror image.
    faceB.on('message', (msg, rinfo) => {
      if (rinfo.address === addr.a) this.#pass(msg, faceA, addr.b);
    });
    faceA.on('message', (msg, rinfo) => {
      if (rinfo.address === addr.b) this.#pass(msg, faceB, addr.a);
    });
  }

  static async open(addr: RelayAddresses): Promise<KeepaliveRelay> {
    const faceA = await bind(addr.face_of_a, addr.port);
    try {
      const faceB = await bind(addr.face_of_b, addr.port);
      return new KeepaliveRelay(addr, faceA, faceB);
    } catch (err) {
      faceA.close();
      throw err;
    }
  }

  set(node: 'a' | 'b' | 'both', up: boolean): void {
    if (node === 'a' || node === 'both') this.#cut.a = !up;
    if (node === 'b' || node === 'both') this.#cut.b = !up;
  }

  #pass(msg: Buffer, from: Socket, to: string): void {
    if (this.#cut.a || this.#cut.b) {
      this.dropped++;
      return;
    }
    this.forwarded++;
    from.send(msg, this.#addr.port, to);
  }

  close(): void {
    this.#faceA.close();
    this.#faceB.close();
  }
}

function bind(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, address, () => {
      s.off('error', reject);
      s.on('error', () => undefined);
      resolve(s);
    });
  });
}
