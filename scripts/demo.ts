// `npm run demo`: a real kube-apiserver (with etcd) and Milvus Lite started
// on this machine, sample collections, the CRDs and the demo's policies, and
// the operator in the foreground with a live table. Ctrl-C stops all of it.
// `node scripts/demo.ts --help` for the flags.
//
// Only a version check here, before anything is imported: on an older Node,
// the imports below would fail with an error that does not say what to do.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `demo: Node.js ${process.versions.node} is too old; it needs Node.js >= 22.19 (24 LTS recommended).\n` +
      'demo: start it with `npm run demo`, which fetches Node 24 by itself on Linux x86_64, or install Node.js 24 from https://nodejs.org/ (or your package manager).\n',
  );
  process.exit(1);
}
const { runDemo } = await import('./demo/main.ts');
// Exit explicitly: a signal may end the demo while the sandbox is still starting, and gRPC timers must not keep it up.
process.exit(
  await runDemo(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }),
);
