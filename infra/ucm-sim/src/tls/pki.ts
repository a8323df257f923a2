// Kept for the simulator's existing import: the cluster PKI lives in ca.ts.
export { clusterPki, CALLMANAGER_PEM, CsrError, type ClusterPki } from "./ca.js";
