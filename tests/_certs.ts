// Test certificates, made at test time with openssl (never committed). rustls
// wants an end-entity certificate: CA:FALSE, with a subjectAltName.

import { hasTool } from "./_tools.ts";

export interface TestCert {
  /** PEM of the certificate (also usable as the client's trusted CA). */
  cert: string;
  /** PEM of the private key. */
  key: string;
  /** Paths of the files, for descriptions such as `certKey=...`. */
  certPath: string;
  keyPath: string;
  dir: string;
}

let opensslChecked: boolean | undefined;

/** Whether openssl is installed (tests that need it skip with a message otherwise). */
export async function hasOpenssl(): Promise<boolean> {
  opensslChecked ??= await hasTool("openssl", ["version"]);
  return opensslChecked;
}

const cache = new Map<string, Promise<TestCert>>();

/** A self-signed certificate for `localhost` and 127.0.0.1/::1, made once per name per process. */
export function testCert(name = "torsion-test"): Promise<TestCert> {
  let cert = cache.get(name);
  if (cert === undefined) {
    cert = makeCert(name);
    cache.set(name, cert);
  }
  return cert;
}

async function makeCert(name: string): Promise<TestCert> {
  const dir = await Deno.makeTempDir({ prefix: `torsion-${name}-` });
  const certPath = `${dir}/cert.pem`;
  const keyPath = `${dir}/key.pem`;
  const { success, stderr } = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
      "-addext",
      "keyUsage=critical,digitalSignature",
      "-addext",
      "extendedKeyUsage=serverAuth",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(`openssl failed: ${new TextDecoder().decode(stderr)}`);
  }
  return {
    cert: await Deno.readTextFile(certPath),
    key: await Deno.readTextFile(keyPath),
    certPath,
    keyPath,
    dir,
  };
}
