/**
 * A split of a check's documents into n parts for the n jobs of a CI matrix (`--shard i/n`, as Jest,
 * Vitest and Playwright shard tests). A document's part comes from a hash of its workspace-relative path
 * (`/`-separated) alone: the same on every machine and in every job, so the parts are disjoint and
 * together hold every document; and stable, so adding or removing documents never moves the others to
 * another part (a split by sorted position would move every document after the change). The price:
 * parts are even only on average (Jest's equal slices are not stable).
 */
import { createHash } from 'node:crypto';

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
}

/** The part (1..count) of a workspace-relative path: the SHA-256 of its UTF-8, first 32 bits, modulo count. */
export function shardOf(relativePath: string, count: number): number {
  return (createHash('sha256').update(relativePath, 'utf8').digest().readUInt32BE(0) % count) + 1;
}

/** The documents of one part, in their order. */
export function inShard<T extends string>(documents: readonly T[], shard: ShardSpec): T[] {
  return documents.filter(d => shardOf(d, shard.count) === shard.index);
}
