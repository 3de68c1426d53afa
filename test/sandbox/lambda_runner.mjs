// One Lambda invocation in a fresh node process, as the Node.js managed runtime runs it:
//   node lambda_runner.mjs   (event JSON on stdin, one result JSON line to the fd in SANDBOX_RESULT_FD)
// The handler string `dir/file.export.path` is resolved as the runtime resolves it: the module is
// LAMBDA_TASK_ROOT/dir/file with the first of .js, .mjs, .cjs that exists (.mjs is always an ES
// module, .cjs always CommonJS, .js follows the nearest package.json "type"), and the export path
// is followed property by property. console.* lines carry the runtime's
// "<ISO time>\t<request id>\t<LEVEL>\t<message>" prefix; anything written to stdout as is stays as is.
// https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
// The context object's fields: https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html
import { existsSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
const handlerString = process.env._HANDLER ?? '';
const requestId = process.env.SANDBOX_REQUEST_ID ?? '';
const deadlineMs = Number(process.env.SANDBOX_DEADLINE_MS ?? Date.now() + 3000);
const RESULT_FD = Number(process.env.SANDBOX_RESULT_FD ?? 3);

function report(result) {
  writeSync(RESULT_FD, `${JSON.stringify(result)}\n`);
}

function errorResult(errorType, error) {
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack.split('\n') : [];
  return { ok: false, errorType, errorMessage: message, trace: stack };
}

for (const [method, level] of [
  ['log', 'INFO'],
  ['info', 'INFO'],
  ['warn', 'WARN'],
  ['error', 'ERROR'],
  ['debug', 'DEBUG'],
  ['trace', 'TRACE'],
]) {
  console[method] = (...args) => {
    process.stdout.write(`${new Date().toISOString()}\t${requestId}\t${level}\t${format(...args)}\n`);
  };
}

/** "dir/file.a.b" → { module: "dir/file", path: ["a", "b"] } */
function splitHandler(handler) {
  const slash = handler.lastIndexOf('/');
  const base = handler.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1) return undefined;
  return { module: handler.slice(0, slash + 1) + base.slice(0, dot), path: base.slice(dot + 1).split('.') };
}

function packageType(file) {
  let folder = dirname(file);
  for (;;) {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest)) {
      try {
        return JSON.parse(readFileSync(manifest, 'utf8')).type === 'module' ? 'module' : 'commonjs';
      } catch {
        return 'commonjs';
      }
    }
    const parent = dirname(folder);
    if (parent === folder || !parent.startsWith(resolve(root))) return 'commonjs';
    folder = parent;
  }
}

async function loadModule(modulePath) {
  const base = resolve(root, modulePath);
  const require = createRequire(join(root, 'index.js'));
  for (const extension of ['.js', '.mjs', '.cjs']) {
    const file = base + extension;
    if (!existsSync(file)) continue;
    if (extension === '.mjs' || (extension === '.js' && packageType(file) === 'module')) return import(pathToFileURL(file).href);
    return require(file);
  }
  // Not a file in the task root: the runtime falls back to a package name (node_modules).
  return require(modulePath);
}

const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
  invokedFunctionArn: process.env.SANDBOX_INVOKED_ARN,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: requestId,
  logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
};

async function readEvent() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : JSON.parse(text);
}

process.on('uncaughtException', (error) => {
  report(errorResult(error?.name ?? 'Error', error));
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  report(errorResult('Runtime.UnhandledPromiseRejection', reason));
  process.exit(1);
});

async function main() {
  const parts = splitHandler(handlerString);
  if (parts === undefined) return report(errorResult('Runtime.MalformedHandlerName', new Error(`Bad handler ${handlerString}`)));
  let loaded;
  try {
    loaded = await loadModule(parts.module);
  } catch (error) {
    return report(
      errorResult(
        'Runtime.ImportModuleError',
        new Error(`Error: Cannot find module '${parts.module}'\n${error instanceof Error ? error.message : error}`),
      ),
    );
  }
  let handler = loaded;
  for (const key of parts.path) handler = handler?.[key];
  if (typeof handler !== 'function') {
    return report(errorResult('Runtime.HandlerNotFound', new Error(`${parts.module}.${parts.path.join('.')} is undefined or not exported`)));
  }
  const event = await readEvent();
  try {
    const result =
      handler.length >= 3
        ? await new Promise((resolvePromise, rejectPromise) => {
            const outcome = handler(event, context, (error, value) => (error ? rejectPromise(error) : resolvePromise(value)));
            if (outcome && typeof outcome.then === 'function') outcome.then(resolvePromise, rejectPromise);
          })
        : await handler(event, context);
    report({ ok: true, result: result === undefined ? null : result });
  } catch (error) {
    report(errorResult(error instanceof Error ? error.name : 'Error', error));
  }
}

await main();
// One invocation per process: Lambda freezes the environment here; the sandbox ends it.
process.exit(0);
