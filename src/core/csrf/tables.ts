export interface CsrfSecretTable {
  name: string;
  sealed: string;
}
