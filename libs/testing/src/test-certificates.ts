// A throwaway certificate authority and a broker certificate signed by it, made with `openssl`, for
// tests of TLS towards the local broker. Nothing here is fit for anything but a test.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalStackError } from './errors';

export interface TestCertificates {
  /** PEM files: the CA's certificate, and the server's certificate and unencrypted PKCS#8 key. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The contents of certFile and keyFile, as startLocalKafka's `tls` takes them. */
  certificate: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.error || result.status !== 0)
    throw new LocalStackError(
      `openssl ${args[0]} failed (is openssl installed?): ${result.error?.message ?? result.stderr}`,
    );
}

/** Writes a CA and a certificate for 127.0.0.1 and localhost into `dir` (valid for a day). */
export function createTestCertificates(dir: string): TestCertificates {
  mkdirSync(dir, { recursive: true });
  const ec = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  openssl(['genpkey', ...ec, '-out', 'ca.key'], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=skald test CA',
      '-days',
      '1',
      '-out',
      'ca.pem',
    ],
    dir,
  );
  openssl(['genpkey', ...ec, '-out', 'server.key'], dir);
  openssl(
    ['req', '-new', '-key', 'server.key', '-subj', '/CN=127.0.0.1', '-out', 'server.csr'],
    dir,
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      'server.ext',
      '-out',
      'server.pem',
    ],
    dir,
  );
  const certFile = join(dir, 'server.pem');
  const keyFile = join(dir, 'server.key');
  return {
    caFile: join(dir, 'ca.pem'),
    certFile,
    keyFile,
    certificate: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
  };
}
