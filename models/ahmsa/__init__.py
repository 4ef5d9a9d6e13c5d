"""AHMSA-Net model, LOSO trainer and ONNX export."""
