// The contract the real servers (Milvus Lite, standalone) pass, against the simulator, so it cannot drift from them.
import { milvusContract } from '../milvus-contract/contract.ts';
import { startSimulator } from './index.ts';

milvusContract({
  name: 'simulator',
  start: async () => {
    const sim = await startSimulator({ loadMillis: 300 });
    return { address: sim.address, stop: () => sim.stop() };
  },
  features: { partitions: true, segmentInfo: true, segmentMemSize: true, asyncLoad: true },
});
