// Starts the Partner Center sandbox and Spendboard (the debug binaries built by
// `cargo build --bins`) on free ports with a fresh SQLite database, and stops them.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where the binaries are: `target/debug` unless SPENDBOARD_E2E_BIN_DIR says otherwise. */
const binDir = process.env.SPENDBOARD_E2E_BIN_DIR ?? path.join(repoRoot, 'target', 'debug');

/** The sandbox's partner tenant and demo application (fixed in the sandbox). */
export const TENANT_ID = '6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7';
const CLIENT_ID = '3c9d5e7f-1a2b-4c3d-9e8f-7a6b5c4d3e2f';
const CLIENT_SECRET = 'sandbox-demo-secret';

/** A free TCP port on 127.0.0.1 (bound and released; the OS will not hand it out again at once). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function binary(name) {
  const file = path.join(binDir, name);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`cargo build --bins\` in ${repoRoot} first`);
  }
  return file;
}

/** Spawns a process, keeping the last lines of its output for error messages. */
function start(name, args, env) {
  const child = spawn(binary(name), args, {
    cwd: repoRoot,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = [];
  const keep = (chunk) => {
    log.push(...chunk.toString().split('\n').filter(Boolean));
    if (log.length > 60) log.splice(0, log.length - 60);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exitInfo = null;
  const proc = { name, child, log, stopping: false };
  // Never leave a server behind, even when the test process ends abruptly.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  child.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      child.exitInfo = { code, signal };
      if (!proc.stopping) {
        process.stderr.write(`\n${name} exited unexpectedly (${JSON.stringify(child.exitInfo)}); its last output:\n${log.join('\n')}\n`);
      }
      resolve();
    });
  });
  return proc;
}

async function waitFor(proc, url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitInfo) break;
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${proc.name} did not answer ${url} (${proc.child.exitInfo ? `exited ${JSON.stringify(proc.child.exitInfo)}` : 'timed out'}):\n${proc.log.join('\n')}`,
  );
}

async function stop(proc) {
  proc.stopping = true;
  if (proc.child.exitInfo) return;
  proc.child.kill('SIGTERM');
  const killed = setTimeout(() => proc.child.kill('SIGKILL'), 5_000);
  await proc.child.exited;
  clearTimeout(killed);
}

/**
 * Starts a sandbox and a Spendboard talking to it (with `env`'s extra settings). Returns
 * `{ baseUrl, sandboxUrl, sandbox(), stop() }`; `baseUrl` is `http://localhost:<port>`, the
 * address the browser uses.
 * `identity` (`{ authority, clientId, clientSecret }`, no tenant) signs people in with another
 * OpenID provider than the sandbox's Entra ID emulation.
 */
export async function startApp({ customers = 60, identity = null, env = {} } = {}) {
  const sandboxPort = await freePort();
  const appPort = await freePort();
  const baseUrl = `http://localhost:${appPort}`;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'spendboard-e2e-'));
  const sandbox = start('partner-center-sandbox', [
    '--bind', `127.0.0.1:${sandboxPort}`,
    '--customers', String(customers),
    '--redirect-uri', `${baseUrl}/auth/callback`,
  ]);
  const processes = [sandbox];
  const stopAll = async () => {
    await Promise.all(processes.reverse().map(stop));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(sandbox, `${sandboxUrl}/_sandbox/clock`);
    const app = start('spendboard', [], {
      SPENDBOARD_SERVER__HOST: '127.0.0.1',
      SPENDBOARD_SERVER__PORT: String(appPort),
      SPENDBOARD_DATABASE__URL: `sqlite://${dir}/e2e.db?mode=rwc`,
      ...(identity
        ? {
          SPENDBOARD_IDENTITY__AUTHORITY: identity.authority,
          SPENDBOARD_IDENTITY__CLIENT_ID: identity.clientId,
          SPENDBOARD_IDENTITY__CLIENT_SECRET: identity.clientSecret,
        }
        : {
          SPENDBOARD_IDENTITY__AUTHORITY: `${sandboxUrl}/${TENANT_ID}/v2.0`,
          SPENDBOARD_IDENTITY__TENANT_ID: TENANT_ID,
          SPENDBOARD_IDENTITY__CLIENT_ID: CLIENT_ID,
          SPENDBOARD_IDENTITY__CLIENT_SECRET: CLIENT_SECRET,
        }),
      SPENDBOARD_PARTNER_CENTER__BASE_URL: sandboxUrl,
      SPENDBOARD_SECURITY__SECRET_KEY: randomBytes(48).toString('base64'),
      ...env,
    });
    processes.push(app);
    await waitFor(app, `http://127.0.0.1:${appPort}/health`);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    baseUrl,
    sandboxUrl,
    /** Calls the sandbox's control API (`/_sandbox/...`) with a JSON body. */
    async control(method, route, body) {
      const response = await fetch(`${sandboxUrl}${route}`, {
        method,
        // The control API takes JSON only, also for calls without a body.
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) {
        throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
      }
      return response.status === 204 ? null : response.json();
    },
    stop: stopAll,
  };
}
