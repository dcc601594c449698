import { it } from 'node:test';
import { standaloneUnavailableReason, startMilvusStandalone } from '../env/milvus.ts';
import { milvusContract } from './contract.ts';

const why = standaloneUnavailableReason();
if (why !== undefined) {
  it('Milvus standalone contract', (t) => t.skip(why));
} else {
  milvusContract({
    name: 'Milvus standalone 2.3.5',
    start: async () => {
      const s = await startMilvusStandalone();
      return { address: s.address, stop: () => s.dispose(), restart: () => s.restart() };
    },
    features: {
      partitions: true,
      segmentInfo: true,
      segmentMemSize: 'Milvus 2.3.5 reports mem_size 0 for sealed segments',
      asyncLoad: true,
      databases: true,
      replicas: true,
      resourceGroups: true,
      loadRequiresIndex: true,
      afterRestart: 'Loaded',
    },
  });
}
