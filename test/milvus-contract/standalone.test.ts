import { it } from 'node:test';
import { MILVUS_ROOT, standaloneUnavailableReason, startMilvusStandalone } from '../env/milvus.ts';
import { milvusContract } from './contract.ts';

const why = standaloneUnavailableReason();
if (why !== undefined) {
  it('Milvus standalone contract', (t) => t.skip(why));
} else {
  milvusContract({
    name: 'Milvus standalone 2.3.5',
    start: async () => {
      // With authentication on (common.security.authorizationEnabled), as production servers run.
      const s = await startMilvusStandalone({ auth: true });
      return { address: s.address, credentials: { ...MILVUS_ROOT }, stop: () => s.dispose(), down: () => s.stop(), up: () => s.restart() };
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
      listingPercentages: 'without',
      progressAfterRelease: 'notLoaded101',
      loadStateInMissingDatabase: 'NotExist',
      replicaChange: 'refused',
      loadFieldsChange: 'ignored',
      refreshUnloaded: 'refused',
      replicasUnloaded: 'error',
      auth: true,
      unimplemented: ['DescribeDatabase'],
    },
  });
}
