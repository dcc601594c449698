// Plain JavaScript on purpose: it must run on any Node, so that an old Node
// gets this message instead of ERR_UNKNOWN_FILE_EXTENSION on a .ts file.
// Used by npm's pretest and predemo hooks.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `Node.js ${process.versions.node} is too old: milvus-load-operator needs Node.js >= 22.19 (24 LTS recommended).\n` +
      'Install Node.js 24, or on Linux x86_64 run `source scripts/ensure-node.sh` (it fetches Node 24 from the npm registry), then `npm ci` again.\n',
  );
  process.exit(1);
}
