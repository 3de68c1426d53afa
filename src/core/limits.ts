/** Limits the ECS API enforces; the adapters and the executor batch by these. */
export const DESCRIBE_SERVICES_MAX_NAMES = 10;
export const LIST_PAGE_MAX_RESULTS = 100;
export const DESCRIBE_TASKS_MAX_ARNS = 100;
/** https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeContainerInstances.html: up to 100 a call. */
export const DESCRIBE_CONTAINER_INSTANCES_MAX_ARNS = 100;

/** Against AWS, polling faster than this only burns throttling budget. */
export const DEFAULT_POLL_INTERVAL_MS = 10_000;
export const DEFAULT_TIMEOUT_SECONDS = 900;
/** Calls in flight at once; the SDK's adaptive retry absorbs the throttling that remains. */
export const DEFAULT_CONCURRENCY = 8;

/**
 * StopTask's reason: "Up to 255 characters are allowed in this message"
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html).
 */
export const STOP_TASK_REASON_MAX_CHARS = 255;
/**
 * "Maximum number of tags per resource - 50"; keys starting `aws:` (any case) are reserved for AWS and do not count
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html).
 */
export const TASK_DEFINITION_MAX_TAGS = 50;
