/** The account field of an ARN (`arn:partition:service:region:account:...`), if it is one. */
export function accountOf(arn: string | undefined): string | undefined {
  if (!arn?.startsWith('arn:')) return undefined;
  const account = arn.split(':')[4];
  return account ? account : undefined;
}
