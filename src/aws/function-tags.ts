/**
 * A function's tags for install's ownership checks. GetFunction returns `Tags` only when the caller
 * may also call lambda:ListTags; otherwise it answers `TagsError` in their place
 * (https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html). Then ListTags is asked once
 * (https://docs.aws.amazon.com/lambda/latest/api/API_ListTags.html); if that is refused too, install
 * stops and names the permission rather than taking an install's own function for someone else's.
 */
import { ListTagsCommand, type GetFunctionCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import { OperationFailedError } from '../core/errors.js';

export async function functionTags(lambda: LambdaClient, answer: GetFunctionCommandOutput): Promise<Record<string, string>> {
  if (answer.Tags !== undefined) return answer.Tags;
  const arn = answer.Configuration?.FunctionArn;
  if (answer.TagsError === undefined || arn === undefined) return {};
  try {
    return (await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags ?? {};
  } catch (error) {
    throw new OperationFailedError(
      `cannot read the tags of Lambda function ${answer.Configuration?.FunctionName ?? arn} (GetFunction answered ${answer.TagsError.ErrorCode ?? 'TagsError'}, ` +
        `and ListTags: ${error instanceof Error ? error.message : String(error)}); allow lambda:ListTags on it, so install can tell whether it is this install's`,
      { cause: error },
    );
  }
}
