import type { Tag } from '../core/model.js';

/** An SDK tag: ECS writes `key`/`value`, CloudWatch, IAM, Lambda and most others `Key`/`Value`. */
type SdkTag = { key?: string | undefined; value?: string | undefined } | { Key?: string | undefined; Value?: string | undefined };

/** The one converter from any service's tags to the core's `{ key, value }`; a tag without a key is dropped. */
export function tagsFromSdk(tags: readonly SdkTag[] | undefined): Tag[] {
  return (tags ?? []).flatMap((tag) => {
    const key = 'key' in tag ? tag.key : 'Key' in tag ? tag.Key : undefined;
    const value = 'value' in tag ? tag.value : 'Value' in tag ? tag.Value : undefined;
    return key === undefined ? [] : [{ key, value: value ?? '' }];
  });
}

/** The core's tags as ECS takes them. */
export function ecsTags(tags: readonly Tag[]): { key: string; value: string }[] {
  return tags.map((tag) => ({ key: tag.key, value: tag.value }));
}

/** The core's tags as CloudWatch (and the services that capitalise) take them. */
export function capitalisedTags(tags: readonly Tag[]): { Key: string; Value: string }[] {
  return tags.map((tag) => ({ Key: tag.key, Value: tag.value }));
}
