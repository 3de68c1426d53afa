/**
 * Fitting the worker's permissions into IAM's limits. A role's inline policies may hold 10,240 characters
 * together; past that, the statements that do not fit go into customer managed policies of at most 6,144
 * characters each, attached to the role, of which a role may have 10 by default (white space is not
 * counted in either). https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
import { UsageError } from './errors.js';
import type { PolicyDocument, PolicyStatement } from './install-iam.js';
import { IAM_ROLE_INLINE_POLICY_MAX_CHARS, policySize } from './install-limits.js';

export const IAM_MANAGED_POLICY_MAX_CHARS = 6_144;
export const IAM_MANAGED_POLICIES_PER_ROLE = 10;

export interface SplitPolicy {
  readonly inline: PolicyDocument;
  /** In order; empty when everything fits inline. */
  readonly managed: readonly PolicyDocument[];
}

const documentOf = (statements: readonly PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statements });

/** A statement too large for one managed policy, cut by its Resource list into parts that fit. */
function fitting(statement: PolicyStatement, max: number): PolicyStatement[] {
  if (policySize(documentOf([statement])) <= max) return [statement];
  const resources = typeof statement.Resource === 'string' ? [statement.Resource] : [...statement.Resource];
  if (resources.length < 2) return [statement]; // cannot be cut; the packing below reports it
  const half = Math.ceil(resources.length / 2);
  const parts = [resources.slice(0, half), resources.slice(half)].map((part, index) => ({
    ...statement,
    Sid: `${statement.Sid}Part${index + 1}`,
    Resource: part,
  }));
  return parts.flatMap((part) => fitting(part, max)).map((part, index) => ({ ...part, Sid: `${statement.Sid}Part${index + 1}` }));
}

/** First-fit, in order: each document takes statements while it stays within `max`. */
function pack(statements: readonly PolicyStatement[], max: number): PolicyStatement[][] {
  const documents: PolicyStatement[][] = [];
  for (const statement of statements) {
    const open = documents.find((candidate) => policySize(documentOf([...candidate, statement])) <= max);
    if (open !== undefined) open.push(statement);
    else documents.push([statement]);
  }
  return documents;
}

/**
 * The document as it is when it fits inline; otherwise as much as fits inline (in statement order) and the
 * rest in managed policies. More managed policies than a role may have is a usage error, before any change.
 */
export function splitPolicy(document: PolicyDocument): SplitPolicy {
  if (policySize(document) <= IAM_ROLE_INLINE_POLICY_MAX_CHARS) return { inline: document, managed: [] };
  const statements = document.Statement.flatMap((statement) => fitting(statement, IAM_MANAGED_POLICY_MAX_CHARS));
  const inline: PolicyStatement[] = [];
  const rest: PolicyStatement[] = [];
  for (const statement of statements) {
    if (rest.length === 0 && policySize(documentOf([...inline, statement])) <= IAM_ROLE_INLINE_POLICY_MAX_CHARS) inline.push(statement);
    else rest.push(statement);
  }
  const managed = pack(rest, IAM_MANAGED_POLICY_MAX_CHARS);
  const tooLarge = managed.find((part) => policySize(documentOf(part)) > IAM_MANAGED_POLICY_MAX_CHARS);
  if (managed.length > IAM_MANAGED_POLICIES_PER_ROLE || tooLarge !== undefined) {
    throw new UsageError(
      `the worker's IAM permissions would be ${policySize(document)} characters: more than IAM lets one role hold ` +
        `(${IAM_ROLE_INLINE_POLICY_MAX_CHARS} inline and ${IAM_MANAGED_POLICIES_PER_ROLE} managed policies of ${IAM_MANAGED_POLICY_MAX_CHARS}); ` +
        'each --cluster and each task or execution role the task definitions name adds to them: name fewer --cluster values ' +
        '(or none, for every cluster), or split the services over several installs (--name); nothing was changed',
    );
  }
  return { inline: documentOf(inline), managed: managed.map(documentOf) };
}
