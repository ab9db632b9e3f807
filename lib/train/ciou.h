/* Complete IoU of two boxes (x1, y1, x2, y2), as Ultralytics' bbox_iou with
 * CIoU=True and eps 1e-7: IoU minus the normalised centre distance minus
 * the aspect-ratio term alpha v, alpha treated as a constant. In double:
 * the assigner ranks anchors by it and the box loss differentiates it. */
#ifndef UL_TRAIN_CIOU_H
#define UL_TRAIN_CIOU_H

/* CIoU(a, b); with grad_a, also d CIoU / d a's four coordinates. */
double ul_ciou(const double a[4], const double b[4], double grad_a[4]);

#endif
