import { startMilvusLite } from '../env/milvus.ts';
import { milvusContract } from './contract.ts';

milvusContract({
  name: 'Milvus Lite',
  start: async () => {
    const s = await startMilvusLite();
    return { address: s.address, stop: () => s.dispose(), down: () => s.stop(), up: () => s.restart() };
  },
  features: {
    partitions: 'Milvus Lite has no partition loads (LoadPartitions is UNIMPLEMENTED)',
    segmentInfo: 'Milvus Lite does not implement GetQuerySegmentInfo',
    segmentMemSize: 'Milvus Lite does not implement GetQuerySegmentInfo',
    asyncLoad: 'Milvus Lite loads synchronously',
    databases: true,
    replicas: 'Milvus Lite has no replicas (GetReplicas is UNIMPLEMENTED; replica_number is ignored)',
    resourceGroups: 'Milvus Lite has no resource groups (their RPCs are UNIMPLEMENTED; resource_groups is ignored)',
    loadRequiresIndex: 'Milvus Lite loads a collection that has no index',
    afterRestart: 'NotLoad',
    listingPercentages: 'with',
    progressAfterRelease: 'zero',
    loadStateInMissingDatabase: 'error',
    replicaChange: 'Milvus Lite has no replicas (replica_number is ignored)',
    loadFieldsChange: 'ignored',
    refreshUnloaded: 'loads',
    replicasUnloaded: 'Milvus Lite has no replicas (GetReplicas is UNIMPLEMENTED)',
    auth: 'Milvus Lite has no authentication',
    unimplemented: ['GetQuerySegmentInfo', 'GetPersistentSegmentInfo', 'GetReplicas', 'ListResourceGroups', 'LoadPartitions'],
  },
});
