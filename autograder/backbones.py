"""The one table of the keras.applications backbones the kit knows.

Each entry says how the checks recognise and use a backbone (its preprocessing, the layer whose
output feeds the head) and which ImageNet weight files
`autograder data fetch` caches. Add a backbone here, nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backbone:
    name: str            # lower-case name used in assignment.toml ("resnet50")
    application: str     # keras.applications constructor ("ResNet50")
    preprocessing: str   # what its preprocess_input does: "caffe" | "none" (built into the model)
    features_layer: str  # output of the convolutional trunk (feeds pooling + head)
    weights_notop: str   # ImageNet weight file without the classifier
    weights_top: str     # ImageNet weight file with the classifier


BACKBONES: dict[str, Backbone] = {b.name: b for b in (
    Backbone("resnet50", "ResNet50", "caffe", "conv5_block3_out",
             "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
             "resnet50_weights_tf_dim_ordering_tf_kernels.h5"),
    Backbone("efficientnetb0", "EfficientNetB0", "none", "top_activation",
             "efficientnetb0_notop.h5", "efficientnetb0.h5"),
)}
