/** Limits the ECS API enforces; the adapters and the executor batch by these. */
export const DESCRIBE_SERVICES_MAX_NAMES = 10;
export const LIST_PAGE_MAX_RESULTS = 100;
export const DESCRIBE_TASKS_MAX_ARNS = 100;
/** https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeContainerInstances.html: up to 100 a call. */
export const DESCRIBE_CONTAINER_INSTANCES_MAX_ARNS = 100;

/** Against AWS, polling faster than this only burns throttling budget. */
export const DEFAULT_POLL_INTERVAL_MS = 10_000;
/**
 * A run's budget, a rollback included, so each wait gets 15 minutes: a service behind an ALB with the target
 * group's defaults needs about 150 s for new targets to turn healthy (5 checks x 30 s) and up to 300 s of
 * deregistration delay before its deployment is COMPLETED
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay),
 * and a rollback the same again. Half of 900 s would roll back ordinary healthy deployments.
 */
export const DEFAULT_TIMEOUT_SECONDS = 1800;
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
