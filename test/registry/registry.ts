// A real OCI registry for the tests: Debian's docker-registry (the CNCF distribution registry, 2.8)
// on loopback with filesystem storage in a temporary folder, optionally behind token auth with a tiny
// token issuer. Images are pushed over the registry's HTTP API (blob uploads, then the manifest), so no
// Docker daemon is needed. A missing docker-registry binary is a loud failure, never a skip.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createSign, randomBytes, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = process.env.DOCKER_REGISTRY_BIN ?? 'docker-registry';
const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';

export interface TokenRequest {
  readonly scope: string | null;
  readonly service: string | null;
  /** The user name of a Basic header, when one came (the password is checked, never kept). */
  readonly user?: string;
  readonly rawAuthorization?: string;
}

export interface TestRegistry {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** 127.0.0.1:PORT, the registry part of an image name. */
  readonly host: string;
  /** With token auth: every token request the issuer saw. */
  readonly tokenRequests: TokenRequest[];
  /** Pushes an image whose content depends on `seed`; answers the manifest's digest. */
  push(name: string, tag: string, seed?: string): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

interface Issuer {
  readonly url: string;
  readonly requests: TokenRequest[];
  token(scope: string, actions: string[]): string;
  close(): Promise<void>;
}

/** Signs RS256 JWTs with the certificate in x5c, as distribution's token auth verifies them. */
async function startIssuer(dir: string, service: string, users: Record<string, string>): Promise<Issuer> {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=test-issuer'],
    {
      stdio: 'ignore',
    },
  );
  const key = await readFile(keyFile, 'utf8');
  const certificate = new X509Certificate(await readFile(certFile));
  const requests: TokenRequest[] = [];
  const token = (scope: string, actions: string[]) => {
    const [type, name] = [scope.split(':')[0] ?? 'repository', scope.split(':').slice(1, -1).join(':')];
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [certificate.raw.toString('base64')] }));
    const claims = base64url(
      JSON.stringify({
        iss: 'test-issuer',
        sub: 'tester',
        aud: service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString('hex'),
        access: [{ type, name, actions }],
      }),
    );
    const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key);
    return `${header}.${claims}.${base64url(signature)}`;
  };
  const server: Server = createServer((request: IncomingMessage, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const authorization = request.headers.authorization;
    let user: string | undefined;
    if (authorization?.startsWith('Basic ') === true) {
      const [name, password] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(/:(.*)/s);
      if (name === undefined || users[name] !== password) {
        response.writeHead(401).end();
        return;
      }
      user = name;
    }
    requests.push({
      scope: url.searchParams.get('scope'),
      service: url.searchParams.get('service'),
      ...(user === undefined ? {} : { user }),
      ...(authorization === undefined ? {} : { rawAuthorization: authorization }),
    });
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token: token(url.searchParams.get('scope') ?? '', ['pull']) }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    requests,
    token,
    close: async () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

async function waitUntilUp(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${stderr()}`);
    try {
      const answer = await fetch(`${url}/v2/`);
      if (answer.status === 200 || answer.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`docker-registry did not answer on ${url}: ${stderr()}`);
}

export async function startRegistry(options: { tokenAuth?: boolean; users?: Record<string, string> } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'ecs-roll-registry-'));
  const service = 'test-registry';
  const issuer = options.tokenAuth === true ? await startIssuer(dir, service, options.users ?? {}) : undefined;
  // The registry takes its port from its config, so a free port is picked first; test files run side by side,
  // and another process may take that port before the registry binds it: then the registry exits and a fresh
  // port is tried.
  const start = async (): Promise<{ child: ChildProcess; port: number }> => {
    for (let attempt = 1; ; attempt += 1) {
      const port = await freePort();
      const config = [
        'version: 0.1',
        'log: { level: error, accesslog: { disabled: true } }',
        `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
        `http: { addr: 127.0.0.1:${port} }`,
        ...(issuer === undefined
          ? []
          : [`auth: { token: { realm: "${issuer.url}", service: ${service}, issuer: test-issuer, rootcertbundle: ${join(dir, 'cert.pem')} } }`]),
      ].join('\n');
      await writeFile(join(dir, 'config.yml'), `${config}\n`);
      let stderr = '';
      const child = spawn(BINARY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-8192)));
      const spawnError = new Promise<never>((_, reject) =>
        child.once('error', (error) => reject(new Error(`cannot run ${BINARY} (apt-get install docker-registry): ${error.message}`))),
      );
      try {
        await Promise.race([waitUntilUp(`http://127.0.0.1:${port}`, child, () => stderr), spawnError]);
        return { child, port };
      } catch (error) {
        if (attempt >= 3 || !/address already in use/i.test(stderr)) throw error;
      }
    }
  };
  const { child, port } = await start();
  const url = `http://127.0.0.1:${port}`;

  const authorize = (name: string): Record<string, string> =>
    issuer === undefined ? {} : { authorization: `Bearer ${issuer.token(`repository:${name}:push,pull`, ['push', 'pull'])}` };

  async function uploadBlob(name: string, data: Buffer): Promise<string> {
    const digest = sha256(data);
    const started = await fetch(`${url}/v2/${name}/blobs/uploads/`, { method: 'POST', headers: authorize(name) });
    if (started.status !== 202) throw new Error(`blob upload refused: HTTP ${started.status}`);
    const location = new URL(started.headers.get('location') ?? '', url);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, { method: 'PUT', headers: { ...authorize(name), 'content-type': 'application/octet-stream' }, body: data });
    if (put.status !== 201) throw new Error(`blob upload failed: HTTP ${put.status}`);
    return digest;
  }

  return {
    url,
    host: `127.0.0.1:${port}`,
    tokenRequests: issuer?.requests ?? [],
    async push(name, tag, seed = `${name}:${tag}`) {
      const layer = Buffer.from(`layer of ${seed}`);
      const imageConfig = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
      const layerDigest = await uploadBlob(name, layer);
      const configDigest = await uploadBlob(name, imageConfig);
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST_V2,
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: imageConfig.length, digest: configDigest },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: layerDigest }],
      });
      const put = await fetch(`${url}/v2/${name}/manifests/${tag}`, {
        method: 'PUT',
        headers: { ...authorize(name), 'content-type': MANIFEST_V2 },
        body: manifest,
      });
      if (put.status !== 201) throw new Error(`manifest push failed: HTTP ${put.status} ${await put.text()}`);
      return put.headers.get('docker-content-digest') ?? sha256(manifest);
    },
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      await issuer?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A registry that accepts connections and never answers: the time limit must end the check. */
export async function startHangingRegistry(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer(() => {
    // never answer
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
