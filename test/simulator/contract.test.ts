// The contract the real servers (Milvus Lite, standalone) pass, against the simulator, so it cannot drift from them.
import { milvusContract } from '../milvus-contract/contract.ts';
import { startSimulator } from './index.ts';

milvusContract({
  name: 'simulator',
  start: async () => {
    const sim = await startSimulator({ loadMillis: 300 });
    // A restart as a real Milvus does it: loaded collections load again, Loading then Loaded.
    return { address: sim.address, stop: () => sim.stop(), restart: () => sim.restart({ reload: true }) };
  },
  features: { partitions: true, segmentInfo: true, segmentMemSize: true, asyncLoad: true, afterRestart: 'Loaded' },
});
