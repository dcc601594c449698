// Plain JavaScript on purpose: it must run on any Node. Exit 0 when this Node
// is new enough for milvus-load-operator, else 1 with one sentence on stderr.
// scripts/ensure-node.sh asks it (so the minimum version is written once) and
// then fetches a newer Node when the answer is no.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`Node.js ${process.versions.node} is too old: milvus-load-operator needs Node.js >= 22.19 (24 LTS recommended).\n`);
  process.exit(1);
}
