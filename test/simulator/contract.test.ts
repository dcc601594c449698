// The contract the real servers (Milvus Lite, standalone) pass, against the simulator, so it cannot drift from them.
// Where it declares what no real server here can show (Milvus 2.4.13+ behaviour), the Milvus source it follows is
// named in docs/simulator.md ("Simulator-only behaviours").
import { milvusContract } from '../milvus-contract/contract.ts';
import { startSimulator } from './index.ts';

const ROOT = { username: 'root', password: 'Milvus' };

milvusContract({
  name: 'simulator',
  start: async () => {
    const sim = await startSimulator({ loadMillis: 300 });
    sim.faults.requireAuth({ user: ROOT.username, password: ROOT.password });
    return {
      address: sim.address,
      credentials: ROOT,
      stop: () => sim.stop(),
      down: () => sim.stop(),
      // A restart as a real Milvus does it: loaded collections load again, Loading then Loaded.
      up: () => sim.restart({ reload: true }),
      setQueryNodes: (n) => sim.state.setQueryNodes(n),
    };
  },
  features: {
    partitions: true,
    segmentInfo: true,
    segmentMemSize: true,
    asyncLoad: true,
    afterRestart: 'Loaded',
    listingPercentages: 'without',
    progressAfterRelease: 'notLoaded101',
    loadStateInMissingDatabase: 'NotExist',
    replicaChange: 'applied',
    loadFieldsChange: 'refused',
    refreshUnloaded: 'refused',
    replicasUnloaded: 'error',
    auth: true,
    unimplemented: ['GetPersistentSegmentInfo', 'DescribeDatabase'],
  },
});
