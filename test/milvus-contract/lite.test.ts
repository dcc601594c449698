import { startMilvusLite } from '../env/milvus.ts';
import { milvusContract } from './contract.ts';

milvusContract({
  name: 'Milvus Lite',
  start: async () => {
    const s = await startMilvusLite();
    return { address: s.address, stop: () => s.dispose() };
  },
  features: {
    partitions: 'Milvus Lite has no partitions',
    segmentInfo: 'Milvus Lite does not implement GetQuerySegmentInfo',
    segmentMemSize: 'Milvus Lite does not implement GetQuerySegmentInfo',
    asyncLoad: 'Milvus Lite loads synchronously',
  },
});
